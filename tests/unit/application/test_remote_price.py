"""The remote-config discount: only on its sku, within 1–90 %, never below the floor, never raising a price."""

from __future__ import annotations

import pytest

from src.application.shop.catalog import REMOTE_DISCOUNT_FLOOR_CENTS, remote_price


@pytest.mark.parametrize(
    ("price", "discount", "expected"),
    [
        (499, ("gems_550", 20), (399, 20)),  # 399.2 rounded half up to the cent
        (499, ("gems_100", 20), (499, 0)),  # another item's discount
        (499, None, (499, 0)),
        (499, ("gems_550", 91), (499, 0)),  # outside the limits (never stored; refused again here)
        (499, ("gems_550", 0), (499, 0)),
        (150, ("gems_550", 90), (REMOTE_DISCOUNT_FLOOR_CENTS, 90)),  # clamped at the floor
        (50, ("gems_550", 50), (50, 0)),  # already under the floor: the discount never raises it
    ],
)
def test_remote_price(price: int, discount: tuple[str, int] | None, expected: tuple[int, int]) -> None:
    assert remote_price(price, "gems_550", discount) == expected
