"""Promo codes for admins: create (audit-logged in the same transaction) and list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from src.application.shared.audit import Audited, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shared.ports import Clock, IdGenerator, UnitOfWork
from src.application.shop.ports import PromoRepository
from src.domain.shared.principal import Principal
from src.domain.shop.promos import PromoCode, normalise_code


class PromoUnitOfWork(UnitOfWork, Audited, Protocol):
    @property
    def promos(self) -> PromoRepository: ...


class PromoDeps(Protocol):
    """Satisfied by PurchaseDeps; only what the admin use cases need."""

    @property
    def uow_factory(self) -> Callable[[], PromoUnitOfWork]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def ids(self) -> IdGenerator: ...


@dataclass(frozen=True)
class CreatePromoCode:
    admin: Principal
    client: ClientInfo
    code: str
    discount_percent: int
    max_uses: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enabled: bool = True


def _audit_payload(promo: PromoCode) -> dict[str, Any]:
    return {
        "discount_percent": promo.discount_percent,
        "max_uses": promo.max_uses,
        "starts_at": promo.starts_at.isoformat() if promo.starts_at else None,
        "ends_at": promo.ends_at.isoformat() if promo.ends_at else None,
        "enabled": promo.enabled,
    }


async def create_promo_code(cmd: CreatePromoCode, deps: PromoDeps) -> PromoCode:
    """The code is stored upper-case (codes are case-insensitive); a taken code → PROMO_CODE_TAKEN."""
    now = deps.clock.now()
    promo = PromoCode(
        code=normalise_code(cmd.code),
        discount_percent=cmd.discount_percent,
        max_uses=cmd.max_uses,
        created_at=now,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        enabled=cmd.enabled,
    )
    async with deps.uow_factory() as uow:
        await uow.promos.add(promo)
        action = AdminAction(
            cmd.admin, cmd.client, "promo_code.create", "promo_code", promo.code, _audit_payload(promo)
        )
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return promo


async def list_promo_codes(limit: int | None, cursor: str | None, deps: PromoDeps) -> Page[PromoCode]:
    """Newest first, with uses taken so far (in-flight purchases included)."""
    async with deps.uow_factory() as uow:
        return await uow.promos.list(check_limit(limit), decode_cursor(cursor))
