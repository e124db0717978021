"""Catalog use cases: players see server-computed prices; admins add and change items (audit-logged)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from src.application.identity.ports import HasUsers
from src.application.shared.audit import Audited, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.ports import Clock, IdGenerator, UnitOfWork
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal
from src.domain.shop.catalog import CatalogItem, discounted


class CatalogRepository(Protocol):
    async def list(self) -> list[CatalogItem]: ...

    async def get(self, sku: str) -> CatalogItem | None: ...

    async def add(self, item: CatalogItem, now: datetime) -> None:
        """Raises SkuTaken when the sku exists."""
        ...

    async def update(self, item: CatalogItem, now: datetime) -> None: ...


class ShopUnitOfWork(UnitOfWork, HasUsers, Audited, Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...


MemberDiscount = Callable[[int], int]
"""A buyer's stored VIP tier → the percent the shop takes off its catalog prices (the engagement context's table,
wired by the composition root: the shop does not know the tiers)."""


def no_member_discount(_vip_tier: int) -> int:
    return 0


RemoteDiscount = Callable[[str], Awaitable[tuple[str, int] | None]]
"""A player's id → (sku, percent) of the remote-config discount on one featured catalog item, or None (LiveOps'
experiment > segment > default resolution, wired by the composition root). The listing and the buy path both price
through `remote_price`, so the price charged is the price shown."""

REMOTE_DISCOUNT_FLOOR_CENTS = 99  # a remote discount never takes an item below this (nor raises a cheaper one)


async def no_remote_discount(_user_id: str) -> tuple[str, int] | None:
    return None


def remote_price(price_cents: int, sku: str, discount: tuple[str, int] | None) -> tuple[int, int]:
    """(unit price, percent applied) after the remote discount when it targets this sku: applied after the item's
    own and the VIP discount, before any promo code, clamped at REMOTE_DISCOUNT_FLOOR_CENTS."""
    if discount is None or discount[0] != sku or not 1 <= discount[1] <= 90:
        return price_cents, 0
    final = max(discounted(price_cents, discount[1]), min(price_cents, REMOTE_DISCOUNT_FLOOR_CENTS))
    return final, discount[1] if final < price_cents else 0  # a discount the floor cancelled is not shown


@dataclass(frozen=True)
class ShopDeps:
    uow_factory: Callable[[], ShopUnitOfWork]
    clock: Clock
    ids: IdGenerator
    member_discount: MemberDiscount = no_member_discount
    remote_discount: RemoteDiscount = no_remote_discount


@dataclass(frozen=True)
class PricedItem:
    item: CatalogItem
    final_price_cents: int  # what one unit costs this viewer now, before any promo code
    discount_active: bool
    member_discount_percent: int = 0  # the viewer's VIP discount, included in final_price_cents
    remote_discount_percent: int = 0  # the viewer's remote-config discount, included in final_price_cents


def price(
    item: CatalogItem, now: datetime, member_percent: int = 0, remote: tuple[str, int] | None = None
) -> PricedItem:
    final, remote_percent = remote_price(item.final_price_cents(now, member_percent=member_percent), item.sku, remote)
    return PricedItem(item, final, item.discount_active(now), member_percent, remote_percent)


async def list_catalog(
    deps: ShopDeps, include_disabled: bool = False, viewer_id: str | None = None
) -> list[PricedItem]:
    """Prices as the server will charge them now; for a viewer, with their VIP discount (read from the database)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        items = await uow.catalog.list()
        viewer = None if viewer_id is None else await uow.users.get(viewer_id)
    member_percent = 0 if viewer is None else deps.member_discount(viewer.vip_tier)
    remote = None if viewer_id is None else await deps.remote_discount(viewer_id)
    return [price(item, now, member_percent, remote) for item in items if item.enabled or include_disabled]


@dataclass(frozen=True)
class SaveCatalogItem:
    admin: Principal
    client: ClientInfo
    item: CatalogItem


def _audit_payload(item: CatalogItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "price_cents": item.price_cents,
        "currency": item.currency,
        "gems": item.gems,
        "min_rank": item.min_rank.value,
        "enabled": item.enabled,
        "discount_percent": item.discount_percent,
        "discount_ends_at": item.discount_ends_at.isoformat() if item.discount_ends_at else None,
    }


async def create_item(cmd: SaveCatalogItem, deps: ShopDeps) -> PricedItem:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        await uow.catalog.add(cmd.item, now)
        action = AdminAction(
            cmd.admin, cmd.client, "catalog.create", "catalog_item", cmd.item.sku, _audit_payload(cmd.item)
        )
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return price(cmd.item, now)


@dataclass(frozen=True)
class ChangeCatalogItem:
    admin: Principal
    client: ClientInfo
    sku: str
    changes: dict[str, Any]


async def update_item(cmd: ChangeCatalogItem, deps: ShopDeps) -> PricedItem:
    """Only the given fields change; the result is validated as a whole before it is stored."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        current = await uow.catalog.get(cmd.sku)
        if current is None:
            raise NotFound("no such catalog item")
        changed = replace(current, **{key: value for key, value in cmd.changes.items() if key != "sku"})
        await uow.catalog.update(changed, now)
        action = AdminAction(cmd.admin, cmd.client, "catalog.update", "catalog_item", cmd.sku, _audit_payload(changed))
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return price(changed, now)
