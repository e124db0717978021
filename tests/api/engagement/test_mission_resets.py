"""Daily and weekly missions reset on the game's calendar (STREAK_TIMEZONE, here Asia/Seoul) across a clock the test
moves: progress starts again from 0, `resets_at` moves on, and a completion of the past period is no longer
claimable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.api.engagement.conftest import get_ok
from tests.api.engagement.missions_support import MISSIONS, Client, claim, create_mission, missions_by_id, spins
from tests.support.api import sign_up
from tests.support.clocks import ShiftedClock, clear_of_midnight
from tests.support.realtime import settle

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"streak_timezone": "Asia/Seoul"}


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The app's clock (plays, the progress engine, missions): real time moved on by the test."""
    return ShiftedClock()


@pytest.fixture
def clock(app_clock: ShiftedClock) -> Iterator[ShiftedClock]:
    """Each test starts clear of Seoul's midnight: the plays and the first read of "today" fall on one day."""
    app_clock.offset = clear_of_midnight(zone=SEOUL)
    yield app_clock
    app_clock.offset = timedelta(0)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _move_to(clock: ShiftedClock, instant: datetime) -> None:
    clock.advance((instant - clock.now()).total_seconds())


async def _new_player(client: Client) -> dict[str, Any]:
    player = await sign_up(client)
    await settle(client)
    return player


async def test_daily_missions_start_again_at_local_midnight_and_resets_at_moves_a_day(
    client: Client, admin: dict[str, Any], clock: ShiftedClock
) -> None:
    mission = await create_mission(client, admin, target=1)
    player = await _new_player(client)
    await spins(client, player, 2)
    today, read_at = await get_ok(client, MISSIONS, player), clock.now()
    reset = _at(today["daily_resets_at"])

    _move_to(clock, reset + timedelta(seconds=1))
    tomorrow = await get_ok(client, MISSIONS, player)
    stale_claim = await claim(client, player, mission["mission_id"])
    await spins(client, player, 1)
    counted = await missions_by_id(client, player)

    assert reset.astimezone(SEOUL).time() == time(0)
    assert timedelta(0) < reset - read_at <= timedelta(days=1)
    before = {item["mission_id"]: item for item in today["items"]}
    after = {item["mission_id"]: item for item in tomorrow["items"]}
    assert (before["daily_spins_20"]["progress"], after["daily_spins_20"]["progress"]) == (2, 0)
    assert before[mission["mission_id"]]["claimable"] is True
    assert after[mission["mission_id"]]["completed"] is False
    assert (stale_claim.status_code, stale_claim.json()["error"]["code"]) == (409, "NOT_CLAIMABLE")
    assert _at(tomorrow["daily_resets_at"]) == reset + timedelta(days=1)
    assert _at(after["daily_spins_20"]["resets_at"]) == reset + timedelta(days=1)
    assert counted["daily_spins_20"]["progress"] == 1  # a play after the reset counts in the new day
    assert after["first_spin"]["progress"] == 1  # a `once` mission never resets
    assert after["first_spin"]["resets_at"] is None


async def test_weekly_missions_start_again_on_monday_and_resets_at_moves_a_week(
    client: Client, clock: ShiftedClock
) -> None:
    player = await _new_player(client)
    weekly_reset = _at((await get_ok(client, MISSIONS, player))["weekly_resets_at"])
    _move_to(clock, weekly_reset - timedelta(minutes=1))  # Sunday 23:59 in Seoul
    await spins(client, player, 2)
    sunday = await get_ok(client, MISSIONS, player)

    _move_to(clock, weekly_reset + timedelta(minutes=1))
    monday = await get_ok(client, MISSIONS, player)

    local = weekly_reset.astimezone(SEOUL)
    assert (local.weekday(), local.time()) == (0, time(0))
    by_id = {item["mission_id"]: item for item in sunday["items"]}
    assert (by_id["weekly_spins_200"]["progress"], _at(by_id["weekly_spins_200"]["resets_at"])) == (2, weekly_reset)
    assert _at(sunday["daily_resets_at"]) == weekly_reset  # Sunday's day ends with the week
    by_id = {item["mission_id"]: item for item in monday["items"]}
    assert by_id["weekly_spins_200"]["progress"] == 0
    assert by_id["daily_spins_20"]["progress"] == 0
    assert _at(monday["weekly_resets_at"]) == weekly_reset + timedelta(days=7)
    assert _at(by_id["weekly_spins_200"]["resets_at"]) == weekly_reset + timedelta(days=7)
