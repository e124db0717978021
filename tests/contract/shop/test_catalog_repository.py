"""Contract of the catalog repository: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.shared.principal import Rank
from src.domain.shop.catalog import CatalogItem, SkuTaken
from tests.contract.wallet.conftest import UnitOfWorkFactory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _item(**overrides: object) -> CatalogItem:
    values: dict[str, object] = {
        "sku": f"c_{uuid.uuid4().hex[:12]}",
        "name": "Contract Pack",
        "description": "for the contract",
        "price_cents": 1234,
        "currency": "EUR",
        "gems": 321,
        "min_rank": Rank.PREMIUM,
        "enabled": False,
        "discount_percent": 15,
        "discount_ends_at": NOW + timedelta(days=3),
    }
    values.update(overrides)
    return CatalogItem(**values)  # type: ignore[arg-type]


async def test_an_added_item_reads_back_whole(uow_factory: UnitOfWorkFactory) -> None:
    item = _item()
    async with uow_factory() as sut:
        await sut.catalog.add(item, NOW)
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.catalog.get(item.sku) == item
        assert item in await sut.catalog.list()


async def test_a_taken_sku_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    item = _item()
    async with uow_factory() as sut:
        await sut.catalog.add(item, NOW)
        await sut.commit()

    async with uow_factory() as sut:
        with pytest.raises(SkuTaken):
            await sut.catalog.add(_item(sku=item.sku, name="Other"), NOW)


async def test_update_changes_a_stored_item_and_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    item = _item()
    async with uow_factory() as sut:
        await sut.catalog.add(item, NOW)
        await sut.commit()
    changed = _item(sku=item.sku, gems=999, enabled=True, discount_ends_at=None)

    async with uow_factory() as sut:
        await sut.catalog.update(changed, NOW)
    async with uow_factory() as sut:
        unchanged = await sut.catalog.get(item.sku)
        await sut.catalog.update(changed, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        assert (unchanged, await sut.catalog.get(item.sku)) == (item, changed)


async def test_the_list_is_ordered_by_price_then_sku(uow_factory: UnitOfWorkFactory) -> None:
    prefix = f"o_{uuid.uuid4().hex[:8]}"
    items = [_item(sku=f"{prefix}_b", price_cents=200), _item(sku=f"{prefix}_a", price_cents=200),
             _item(sku=f"{prefix}_c", price_cents=100)]  # fmt: skip
    async with uow_factory() as sut:
        for item in items:
            await sut.catalog.add(item, NOW)
        await sut.commit()

    async with uow_factory() as sut:
        listed = [item.sku for item in await sut.catalog.list() if item.sku.startswith(prefix)]

    assert listed == [f"{prefix}_c", f"{prefix}_a", f"{prefix}_b"]


async def test_an_unknown_sku_is_none(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        assert await sut.catalog.get("no_such_sku") is None
