"""SQL repositories of the shop context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.shop import CatalogItemRow
from src.domain.identity.model import Rank
from src.domain.shop.catalog import CatalogItem, SkuTaken


def _item(row: CatalogItemRow) -> CatalogItem:
    return CatalogItem(
        sku=row.sku,
        name=row.name,
        description=row.description,
        price_cents=row.price_cents,
        currency=row.currency,
        gems=row.gems,
        min_rank=Rank(row.min_rank),
        enabled=row.enabled,
        discount_percent=row.discount_percent,
        discount_ends_at=row.discount_ends_at,
    )


def _values(item: CatalogItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "description": item.description,
        "price_cents": item.price_cents,
        "currency": item.currency,
        "gems": item.gems,
        "min_rank": item.min_rank.value,
        "enabled": item.enabled,
        "discount_percent": item.discount_percent,
        "discount_ends_at": item.discount_ends_at,
    }


class SqlaCatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def list(self) -> list[CatalogItem]:
        statement = select(CatalogItemRow).order_by(CatalogItemRow.price_cents, CatalogItemRow.sku)
        return [_item(row) for row in (await self._db.execute(statement)).scalars()]

    async def get(self, sku: str) -> CatalogItem | None:
        row = await self._db.get(CatalogItemRow, sku)
        return None if row is None else _item(row)

    async def add(self, item: CatalogItem, now: datetime) -> None:
        self._db.add(CatalogItemRow(sku=item.sku, created_at=now, updated_at=now, **_values(item)))
        try:
            await self._db.flush()
        except IntegrityError as exc:
            raise SkuTaken from exc

    async def update(self, item: CatalogItem, now: datetime) -> None:
        await self._db.execute(
            update(CatalogItemRow).where(CatalogItemRow.sku == item.sku).values(updated_at=now, **_values(item))
        )
