"""The attendance calendar: every day of the asked month, ticked days, and the missed day a shield forgave."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.api.engagement.conftest import PROTECT, SettableClock, get_ok, give_shields, tick_ok
from tests.support.api import bearer

Client = AsyncTestClient[Litestar]
HISTORY = "/api/streak/history"


async def test_the_month_shows_ticked_days_and_the_missed_day_a_shield_forgave(
    client: Client, clock: SettableClock, player: dict[str, Any], container: Container
) -> None:
    await give_shields(client, container, player["user"]["id"])
    for offset in (0, 1):  # May 6 and 7
        clock.on_day(offset)
        await tick_ok(client, player)
    clock.on_day(3)  # May 8 missed; on May 9 the shield repairs it
    assert (await client.post(PROTECT, headers=bearer(player))).status_code == 200
    await tick_ok(client, player)
    clock.on_day(5)  # May 10 missed with no shield: the streak breaks, May 11 starts again
    await tick_ok(client, player)

    sut = await get_ok(client, f"{HISTORY}?month=2031-05", player)

    assert sut["month"] == "2031-05"
    assert [day["date"] for day in sut["days"]] == [f"2031-05-{n:02d}" for n in range(1, 32)]
    marked = {
        day["date"][-2:]: (day["ticked"], day["protected"]) for day in sut["days"] if day["ticked"] or day["protected"]
    }
    assert marked == {
        "06": (True, False),
        "07": (True, False),
        "08": (False, True),
        "09": (True, False),
        "11": (True, False),
    }


async def test_without_a_month_it_is_this_month_in_the_streak_timezone_and_another_month_is_empty(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    await tick_ok(client, player)

    current = await get_ok(client, HISTORY, player)
    june = await get_ok(client, f"{HISTORY}?month=2031-06", player)

    assert current["month"] == "2031-05"
    assert [day["date"] for day in current["days"] if day["ticked"]] == ["2031-05-06"]
    assert len(june["days"]) == 30
    assert not any(day["ticked"] or day["protected"] for day in june["days"])


@pytest.mark.parametrize("month", ["2031-13", "2031-00", "2031-5", "May", "2031-05-01", "0000-01", ""])
async def test_a_bad_month_is_400_naming_month(client: Client, player: dict[str, Any], month: str) -> None:
    response = await client.get(HISTORY, params={"month": month}, headers=bearer(player))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [field["key"] for field in error["details"]["fields"]] == ["month"]


async def test_the_calendar_needs_a_token(client: Client) -> None:
    assert (await client.get(HISTORY)).status_code == 401
