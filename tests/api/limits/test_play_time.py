"""Acceptance: the daily play-time limit ends play for the day with 403 LIMIT_REACHED {limit, period, resets_at},
and a reality_check {session_minutes, net_coins, spent_cents} reaches the player's WebSocket at the chosen interval
of active play. The games' clock is the test's (a settable offset on real time), so no test waits for minutes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.api.games.helpers import pull, spin, spin_ok
from tests.api.limits.test_limits import PRICE, at, buy, put_limits
from tests.support.api import bearer, sign_up
from tests.support.clocks import ShiftedClock
from tests.support.realtime import WS, events, settle

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process"}


@pytest.fixture
def games_clock(container: Container) -> Iterator[ShiftedClock]:
    """The plays and the limits' reads (whose "today" must be the plays' day) read it: tokens, the shop and the relay
    keep real time."""
    shifted, real, limits = ShiftedClock(), container.games.clock, container.limits
    container.games.clock = shifted
    container.limits = replace(limits, clock=shifted)
    yield shifted
    container.games.clock = real
    container.limits = limits


def at_noon(clock: ShiftedClock) -> None:
    """Tomorrow noon UTC: hours of the games' clock then pass without reaching midnight, whenever the test runs."""
    now = datetime.now(UTC)
    clock.offset = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + 12 * HOUR - now


def clear_of_midnight(clock: ShiftedClock, minutes: int = 10) -> None:
    """Keep the next `minutes` of the games' clock on one day: near midnight it runs twice that far behind real time,
    so a sitting started now starts before a purchase made now, and ends before midnight."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    if midnight - now < timedelta(minutes=minutes):
        clock.offset = -timedelta(minutes=2 * minutes)


async def test_the_play_time_limit_ends_play_for_the_day(
    client: AsyncTestClient[Litestar], games_clock: ShiftedClock
) -> None:
    at_noon(games_clock)
    player = await sign_up(client)
    await settle(client)
    await put_limits(client, player, {"play_minutes_daily": 10})

    for _ in range(3):  # 0, 4 and 8 minutes: 8 minutes of one sitting
        await spin_ok(client, player, bet=10)
        games_clock.advance(4 * 60)
    at_twelve = await spin(client, player, bet=10)  # 12 minutes at its start: over the limit
    games_clock.advance(3 * HOUR.total_seconds())  # a long pause gives no time back
    later = [await spin(client, player, bet=10), await pull(client, player)]

    assert at_twelve.status_code == 403, at_twelve.text
    error = at_twelve.json()["error"]
    assert error["code"] == "LIMIT_REACHED"
    assert (error["details"]["limit"], error["details"]["period"], error["details"]["kind"]) == (
        10,
        "daily",
        "play_minutes",
    )
    now = datetime.now(UTC) + games_clock.offset
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert at(error["details"]["resets_at"]) == midnight
    assert [response.status_code for response in later] == [403, 403]
    assert {response.json()["error"]["code"] for response in later} == {"LIMIT_REACHED"}


async def test_a_raised_play_time_limit_waits_its_cooling_off(
    client: AsyncTestClient[Litestar], games_clock: ShiftedClock
) -> None:
    at_noon(games_clock)
    player = await sign_up(client)
    await settle(client)
    await put_limits(client, player, {"play_minutes_daily": 5})
    await put_limits(client, player, {"play_minutes_daily": 60})  # pending for 24 h: 5 still holds

    for _ in range(2):  # 0 and 3 minutes; at 6 the 5 minutes are reached
        await spin_ok(client, player, bet=10)
        games_clock.advance(3 * 60)
    refused = await spin(client, player, bet=10)

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["limit"] == 5


async def test_a_reality_check_reaches_the_socket_at_the_interval_with_the_sittings_totals(
    client: AsyncTestClient[Litestar], games_clock: ShiftedClock
) -> None:
    clear_of_midnight(games_clock)  # the shop keeps real time: the purchase must fall inside the sitting
    player = await sign_up(client)
    await settle(client)
    await put_limits(client, player, {"reality_check_minutes": 5})
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        first = await spin_ok(client, player, bet=10)  # the sitting starts
        bought = await buy(client, player)
        nets = [first["payout"] - 10]
        for _ in range(2):  # 2 and 4 minutes in: no check yet
            games_clock.advance(2 * 60)
            body = await spin_ok(client, player, bet=10)
            nets.append(body["payout"] - 10)
        games_clock.advance(60)
        body = await spin_ok(client, player, bet=10)  # 5 minutes: the check is due with this play
        nets.append(body["payout"] - 10)
        checks = await _reality_checks(session, 1)
    limits = (await client.get("/api/limits", headers=bearer(player))).json()

    assert bought.status_code == 200, bought.text
    assert checks == [{"session_minutes": 5, "net_coins": sum(nets), "spent_cents": PRICE}]
    assert limits["usage"]["play_minutes_today"] == 5


async def _reality_checks(session: Any, count: int) -> list[dict[str, Any]]:
    """The data of the next `count` reality_check frames (a play's other frames skipped)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        [frame] = await events(session, 1, within_seconds=10)
        if frame["type"] == "reality_check":
            found.append(frame["data"])
    return found
