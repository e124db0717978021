"""Catalog pricing: integer cents, discounts while they last, at most one promo on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.shared.errors import InvalidInput
from src.domain.shop.catalog import CatalogItem, discounted

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _item(**overrides: object) -> CatalogItem:
    values: dict[str, object] = {"sku": "gems_1200", "name": "Chest", "description": "", "price_cents": 999,
                                 "currency": "USD", "gems": 1200}  # fmt: skip
    values.update(overrides)
    return CatalogItem(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("price", "percent", "expected"), [(999, 20, 799), (1999, 15, 1699), (1, 50, 1), (3, 50, 2), (100, 0, 100)]
)
def test_discounts_round_half_up_to_the_cent(price: int, percent: int, expected: int) -> None:
    assert discounted(price, percent) == expected


def test_a_discount_applies_until_it_ends() -> None:
    sut = _item(discount_percent=20, discount_ends_at=NOW + timedelta(hours=1))

    assert sut.final_price_cents(NOW) == 799
    assert sut.final_price_cents(NOW + timedelta(hours=1)) == 999


def test_a_promo_code_stacks_on_the_running_discount() -> None:
    sut = _item(discount_percent=20)

    assert sut.final_price_cents(NOW, promo_percent=10) == 719  # 799 x 0.9 = 719.1


def test_an_item_with_bad_fields_cannot_exist() -> None:
    with pytest.raises(InvalidInput) as refused:
        _item(price_cents=0, gems=0, discount_ends_at=datetime(2027, 1, 1))

    keys = [field["key"] for field in (refused.value.details or {})["fields"]]
    assert keys == ["price_cents", "gems", "discount_ends_at"]
