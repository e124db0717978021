"""STREAK_TIMEZONE decides the calendar day: Seoul's midnight is 15:00 UTC."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.engagement.conftest import NEXT_REWARD, TICK, SettableClock, get_ok, tick_ok
from tests.support.api import bearer


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"streak_timezone": "Asia/Seoul"}


async def test_ticks_either_side_of_local_midnight_are_two_days_and_times_are_reported_in_utc(
    client: AsyncTestClient[Litestar], clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.at(date(2031, 5, 6), hour=14, minute=59)  # 23:59 on May 6 in Seoul
    before = await tick_ok(client, player)
    waiting = await get_ok(client, NEXT_REWARD, player)
    clock.at(date(2031, 5, 6), hour=15, minute=0)  # 00:00 on May 7 in Seoul
    after = await tick_ok(client, player)
    clock.at(date(2031, 5, 7), hour=14, minute=30)  # still May 7 in Seoul, though another day in UTC
    again = await client.post(TICK, headers=bearer(player))

    assert (before["last_tick_date"], before["next_reset_at"]) == ("2031-05-06", "2031-05-07T15:00:00Z")
    assert waiting["available_at"] == "2031-05-06T15:00:00Z"
    assert (after["count"], after["last_tick_date"]) == (2, "2031-05-07")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_CLAIMED"
