"""What the promo and limited-package use-case tests share: an in-memory store, a settable clock, an admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.shared.audit import AuditQuery
from src.application.shared.commands import ClientInfo
from src.domain.shared.audit import AuditEntry
from src.domain.shared.principal import Principal, Rank
from tests.support.clocks import FakeClock

ADMIN = Principal(user_id="admin-1", session_id="s", rank=Rank.STANDARD, is_admin=True)
CLIENT = ClientInfo(ip="203.0.113.9")
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class OfferDeps:
    """Has what PromoDeps and LimitedDeps ask for, over one in-memory store."""

    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))
    ids: SecretsIdGenerator = field(default_factory=SecretsIdGenerator)

    @property
    def uow_factory(self) -> Callable[[], InMemoryUnitOfWork]:
        return lambda: InMemoryUnitOfWork(self.store)


async def audit_entries(deps: OfferDeps, action: str) -> list[AuditEntry]:
    async with deps.uow_factory() as uow:
        return (await uow.audit.search(AuditQuery(action=action), 100, None)).items
