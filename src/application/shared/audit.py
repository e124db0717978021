"""The admin audit trail: written inside the admin's own transaction, with the change itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.shared.commands import AdminAction
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import IdGenerator
from src.domain.shared.audit import AuditEntry


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    admin_id: str | None = None
    target_id: str | None = None  # what the action was done to (a user id, a sku, ...)
    since: datetime | None = None
    until: datetime | None = None


class AuditLogRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...

    async def search(self, query: AuditQuery, limit: int, after: Position | None) -> Page[AuditEntry]: ...


class Audited(Protocol):
    """A unit of work that can write audit entries in its transaction."""

    @property
    def audit(self) -> AuditLogRepository: ...


async def write_audit(uow: Audited, action: AdminAction, ids: IdGenerator, now: datetime) -> None:
    entry = AuditEntry(
        id=ids.new_id(),
        admin_id=action.admin.user_id,
        action=action.action,
        target_type=action.target_type,
        target_id=action.target_id,
        created_at=now,
        payload=action.payload,
        ip=action.client.ip,
    )
    await uow.audit.add(entry)
