"""Catalog use cases: players see server-computed prices; admins add and change items (audit-logged)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from src.application.shared.audit import Audited, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.ports import Clock, IdGenerator, UnitOfWork
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal
from src.domain.shop.catalog import CatalogItem


class CatalogRepository(Protocol):
    async def list(self) -> list[CatalogItem]: ...

    async def get(self, sku: str) -> CatalogItem | None: ...

    async def add(self, item: CatalogItem, now: datetime) -> None:
        """Raises SkuTaken when the sku exists."""
        ...

    async def update(self, item: CatalogItem, now: datetime) -> None: ...


class ShopUnitOfWork(UnitOfWork, Audited, Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...


@dataclass(frozen=True)
class ShopDeps:
    uow_factory: Callable[[], ShopUnitOfWork]
    clock: Clock
    ids: IdGenerator


@dataclass(frozen=True)
class PricedItem:
    item: CatalogItem
    final_price_cents: int
    discount_active: bool


def price(item: CatalogItem, now: datetime) -> PricedItem:
    return PricedItem(item, item.final_price_cents(now), item.discount_active(now))


async def list_catalog(deps: ShopDeps, include_disabled: bool = False) -> list[PricedItem]:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        items = await uow.catalog.list()
    return [price(item, now) for item in items if item.enabled or include_disabled]


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
