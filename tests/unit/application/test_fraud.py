"""Purchase velocity limits, counted in sliding windows behind the cache port."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.application.shop.fraud import FraudBlocked, VelocityLimits, check_purchase_velocity
from tests.support.clocks import FakeClock

LIMITS = VelocityLimits(max_attempts=20, max_distinct_cards=3, window=timedelta(minutes=5))


async def test_nineteen_attempts_pass_and_the_twentieth_is_blocked() -> None:
    sut = InMemoryCache()
    for _ in range(19):
        await check_purchase_velocity(sut, "u1", "card-a", LIMITS)

    with pytest.raises(FraudBlocked) as blocked:
        await check_purchase_velocity(sut, "u1", "card-a", LIMITS)

    assert blocked.value.details == {"rule": "attempts", "count": 20, "limit": 20}


async def test_a_third_distinct_card_is_blocked_but_reusing_a_card_is_not() -> None:
    sut = InMemoryCache()
    for card in ("card-a", "card-b", "card-a", "card-b"):
        await check_purchase_velocity(sut, "u1", card, LIMITS)

    with pytest.raises(FraudBlocked) as blocked:
        await check_purchase_velocity(sut, "u1", "card-c", LIMITS)

    assert blocked.value.details == {"rule": "distinct_cards", "count": 3, "limit": 3}


async def test_limits_are_per_user() -> None:
    sut = InMemoryCache()
    for card in ("card-a", "card-b"):
        await check_purchase_velocity(sut, "u1", card, LIMITS)

    await check_purchase_velocity(sut, "u2", "card-c", LIMITS)
    await check_purchase_velocity(sut, "u2", "card-d", LIMITS)


async def test_attempts_leave_the_window() -> None:
    clock = FakeClock()
    sut = InMemoryCache(monotonic=clock.monotonic)
    short = VelocityLimits(max_attempts=2, max_distinct_cards=3, window=timedelta(milliseconds=100))
    await check_purchase_velocity(sut, "u1", "card-a", short)
    with pytest.raises(FraudBlocked):
        await check_purchase_velocity(sut, "u1", "card-a", short)

    clock.advance(0.15)

    await check_purchase_velocity(sut, "u1", "card-a", short)
