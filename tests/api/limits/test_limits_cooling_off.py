"""A lower limit applies at once, a higher one or a removal after 24 hours of the app's clock (an app of its own:
moving its clock a day ahead would make the tokens it issues afterwards look not yet valid)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.limits.test_limits import LIMITS, at, put_limits
from tests.support.api import bearer, sign_up
from tests.support.clocks import ShiftedClock

pytestmark = pytest.mark.own_app


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    return ShiftedClock()


async def test_a_lower_limit_applies_at_once_and_a_higher_one_after_24_hours(
    client: Any, app_clock: ShiftedClock
) -> None:
    player = await sign_up(client)
    await put_limits(client, player, {"purchase": {"daily_cents": 1000}, "reality_check_minutes": 60})

    lower = await put_limits(client, player, {"purchase": {"daily_cents": 500}})
    requested_at = app_clock.now()
    higher = await put_limits(client, player, {"purchase": {"daily_cents": 5000}, "reality_check_minutes": None})
    app_clock.advance(24 * 3600 + 1)  # the access token stays valid: its expiry is checked against real time
    later = (await client.get(LIMITS, headers=bearer(player))).json()

    assert lower["purchase"]["daily_cents"] == 500
    assert lower["pending"] == []
    assert (higher["purchase"]["daily_cents"], higher["reality_check_minutes"]) == (500, 60)
    assert {p["field"]: p["value"] for p in higher["pending"]} == {
        "purchase.daily_cents": 5000,
        "reality_check_minutes": None,
    }
    effective = {at(p["effective_at"]) for p in higher["pending"]}
    assert len(effective) == 1
    assert timedelta(0) <= effective.pop() - (requested_at + timedelta(hours=24)) < timedelta(minutes=1)
    assert (later["purchase"]["daily_cents"], later["reality_check_minutes"], later["pending"]) == (5000, None, [])
