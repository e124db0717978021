"""Limits a player sets: safer at once, looser after the cooling-off; restrictions only lengthen; purchase checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.limits.model import (
    COOLING_OFF,
    LimitReached,
    PendingChange,
    PlayerLimits,
    RestrictionKind,
    SelfExcluded,
    TimedOut,
    check_purchase,
    check_restriction,
)

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def limits(**values: int | None) -> PlayerLimits:
    sut = PlayerLimits("p1")
    sut.values.update(values)
    return sut


def test_a_new_or_lower_limit_applies_at_once_and_drops_a_pending_loosening() -> None:
    sut = limits(daily_cents=1000)
    sut.request({"daily_cents": 5000}, NOW)

    sut.request({"daily_cents": 400, "weekly_cents": 2000}, NOW + HOUR)

    assert (sut.values["daily_cents"], sut.values["weekly_cents"], sut.pending) == (400, 2000, [])


def test_a_higher_limit_or_a_removal_waits_24_hours() -> None:
    sut = limits(daily_cents=1000, reality_check_minutes=30)

    sut.request({"daily_cents": 5000, "reality_check_minutes": None}, NOW)

    assert sut.values["daily_cents"] == 1000
    assert sut.pending == [
        PendingChange("daily_cents", 5000, NOW + COOLING_OFF),
        PendingChange("reality_check_minutes", None, NOW + COOLING_OFF),
    ]
    assert sut.settled(NOW + COOLING_OFF - timedelta(seconds=1)).values["daily_cents"] == 1000
    later = sut.settled(NOW + COOLING_OFF)
    assert (later.values["daily_cents"], later.values["reality_check_minutes"], later.pending) == (5000, None, [])


def test_a_restriction_only_ever_lengthens() -> None:
    sut = PlayerLimits("p1")
    sut.restrict(RestrictionKind.SELF_EXCLUSION, NOW + timedelta(days=180), NOW)

    sut.restrict(RestrictionKind.TIME_OUT, NOW + timedelta(days=1), NOW)

    assert sut.restriction is not None
    assert (sut.restriction.kind, sut.restriction.until) == (RestrictionKind.SELF_EXCLUSION, NOW + timedelta(days=180))
    with pytest.raises(SelfExcluded):
        check_restriction(sut.restriction, NOW + timedelta(days=179))
    check_restriction(sut.restriction, NOW + timedelta(days=180))  # over: nothing raised


def test_a_time_out_refuses_with_its_end() -> None:
    sut = PlayerLimits("p1")
    sut.restrict(RestrictionKind.TIME_OUT, NOW + timedelta(days=7), NOW)

    with pytest.raises(TimedOut) as refused:
        check_restriction(sut.restriction, NOW)

    assert refused.value.details == {"until": (NOW + timedelta(days=7)).isoformat()}


def test_a_purchase_that_fits_every_limit_passes() -> None:
    check_purchase(limits(daily_cents=300, weekly_cents=1000), [(NOW - HOUR, 200)], 100, NOW)


def test_a_purchase_over_a_limit_names_it_and_when_enough_spend_leaves_the_window() -> None:
    spent = [(NOW - 20 * HOUR, 150), (NOW - 10 * HOUR, 100), (NOW - 30 * HOUR, 999)]  # the last is outside 24 h

    with pytest.raises(LimitReached) as refused:
        check_purchase(limits(daily_cents=300), spent, 100, NOW)

    resets_at = (NOW + 4 * HOUR).isoformat()
    assert refused.value.details == {"limit": 300, "period": "daily", "resets_at": resets_at, "kind": "purchase_cents"}


def test_the_limit_that_binds_longest_is_reported() -> None:
    spent = [(NOW - 2 * timedelta(days=1), 500), (NOW - HOUR, 100)]

    with pytest.raises(LimitReached) as refused:
        check_purchase(limits(daily_cents=150, weekly_cents=600), spent, 100, NOW)

    assert (refused.value.details or {})["period"] == "weekly"
    assert (refused.value.details or {})["resets_at"] == (NOW + 5 * timedelta(days=1)).isoformat()


def test_a_purchase_larger_than_the_limit_itself_never_fits() -> None:
    with pytest.raises(LimitReached) as refused:
        check_purchase(limits(monthly_cents=50), [], 100, NOW)

    assert (refused.value.details or {})["resets_at"] is None
