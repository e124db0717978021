"""A tick reaches the player's WebSocket as streak_update (beside the reward, its notification and the new balance)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.api.engagement.conftest import PROTECT, TICK, SettableClock, give_shields
from tests.support.api import bearer
from tests.support.realtime import WS, events, settle


async def test_a_tick_and_a_protection_reach_the_players_socket_as_streak_update(
    client: AsyncTestClient[Litestar], clock: SettableClock, player: dict[str, Any], container: Container
) -> None:
    clock.on_day(0)
    await give_shields(client, container, player["user"]["id"])
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        assert (await client.post(TICK, headers=bearer(player))).status_code == 200
        # reward_granted, profile_update, streak_update, then the reward's notification and the daily_streak mission
        got = await events(session, 5)
        assert (await client.post(PROTECT, headers=bearer(player))).status_code == 200
        [protected] = await events(session, 1)

    by_type = {frame["type"]: frame for frame in got}
    assert set(by_type) == {"reward_granted", "profile_update", "streak_update", "notification", "mission_completed"}
    assert by_type["mission_completed"]["data"]["mission_id"] == "daily_streak"
    assert by_type["notification"]["data"]["type"] == "reward"
    assert by_type["streak_update"]["data"] == {
        "count": 1,
        "best": 1,
        "last_tick_date": "2031-05-06",
        "protected_until": None,
    }
    assert by_type["reward_granted"]["data"] == {"currency": "coins", "amount": 100, "source": "daily_streak"}
    assert protected["type"] == "streak_update"
    assert protected["data"]["protected_until"] == "2031-05-07"
