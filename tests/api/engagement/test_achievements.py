"""Achievements over HTTP on PostgreSQL + Redis: unlocked by the server from plays, auto_claim paid at the unlock,
others claimed once, hidden ones listed once unlocked, preconditions respected; the unlock reaches the player's
socket as achievement_unlocked and their inbox; /api/users/stats counts them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from litestar.testing import WebSocketTestSession

from tests.api.engagement.conftest import get_ok
from tests.api.engagement.missions_support import (
    ACHIEVEMENTS,
    ADMIN_ACHIEVEMENTS,
    Client,
    achievements_by_id,
    spins,
)
from tests.support.api import bearer, sign_up
from tests.support.realtime import WS, events, settle


async def _create(client: Client, admin: dict[str, Any], **fields: Any) -> str:
    body = {"achievement_id": f"t_{uuid.uuid4().hex[:16]}", "title": "Test achievement", "category": "tests",
            "metric": "spins", "target": 2, "reward": {"coins": 30}, **fields}  # fmt: skip
    response = await client.post(ADMIN_ACHIEVEMENTS, json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return str(body["achievement_id"])


async def _claim(client: Client, player: dict[str, Any], achievement_id: str) -> Any:
    return await client.post(f"{ACHIEVEMENTS}/{achievement_id}/claim", headers=bearer(player))


async def _new_player(client: Client) -> dict[str, Any]:
    player = await sign_up(client)
    await settle(client)
    return player


async def _until(
    session: WebSocketTestSession, done: Callable[[list[dict[str, Any]]], bool], most: int = 30
) -> list[dict[str, Any]]:
    """Events up to the one after which `done` holds (the spin's balance, rewards and notifications come between)."""
    frames: list[dict[str, Any]] = []
    while not done(frames):
        assert len(frames) < most, [frame["type"] for frame in frames]
        frames += await events(session, 1)
    return frames


async def test_the_shipped_achievements_span_categories_and_hide_the_hidden(client: Client) -> None:
    player = await _new_player(client)

    sut = await get_ok(client, ACHIEVEMENTS, player)

    assert len(sut["items"]) >= 15
    assert len({item["category"] for item in sut["items"]}) >= 3
    assert not any(item["hidden"] for item in sut["items"])  # jackpot_hunter and first_legendary are not shown
    assert sut["unlocked_count"] == 0
    first = next(item for item in sut["items"] if item["achievement_id"] == "spins_100")
    assert first == {"achievement_id": "spins_100", "title": "100 spins", "category": "slots", "progress": 0,
                     "target": 100, "unlocked": False, "unlocked_at": None, "claimed": False, "claimable": False,
                     "reward": {"coins": 1000}, "hidden": False, "auto_claim": False,
                     "precondition": "first_spin"}  # fmt: skip


async def test_a_first_spin_unlocks_and_pays_an_auto_claim_achievement_and_stats_count_it(client: Client) -> None:
    player = await _new_player(client)

    await spins(client, player, 1)

    sut = (await achievements_by_id(client, player))["first_spin"]
    assert (sut["progress"], sut["unlocked"], sut["claimed"], sut["claimable"]) == (1, True, True, False)
    assert sut["unlocked_at"] is not None
    ledger = (await get_ok(client, "/api/wallet/ledger?limit=100", player))["items"]
    paid = [(entry["delta"], entry["ref_type"]) for entry in ledger if entry["ref_id"].endswith(":first_spin")]
    assert paid == [(100, "achievement")]  # (first_win pays too if the spin won)
    stats = await get_ok(client, "/api/users/stats", player)
    assert stats["achievements_unlocked"] == (await get_ok(client, ACHIEVEMENTS, player))["unlocked_count"] >= 1
    again = await _claim(client, player, "first_spin")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_CLAIMED")


async def test_an_achievement_is_claimed_once_after_its_unlock_even_by_16_concurrent_claims(
    client: Client, admin: dict[str, Any]
) -> None:
    achievement_id = await _create(client, admin, target=2, reward={"gems": 4})
    player = await _new_player(client)
    await spins(client, player, 1)
    early = await _claim(client, player, achievement_id)
    await spins(client, player, 1)

    answers = await asyncio.gather(*(_claim(client, player, achievement_id) for _ in range(16)))

    assert (early.status_code, early.json()["error"]["code"]) == (409, "NOT_CLAIMABLE")
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 15
    [paid] = [answer.json() for answer in answers if answer.status_code == 200]
    assert paid == {"achievement_id": achievement_id, "reward": {"gems": 4}, "balances": paid["balances"]}
    assert (await get_ok(client, "/api/wallet", player))["gems"] == paid["balances"]["gems"] == 4


async def test_a_hidden_achievement_is_listed_only_once_unlocked(client: Client, admin: dict[str, Any]) -> None:
    achievement_id = await _create(client, admin, target=2, hidden=True)
    player = await _new_player(client)

    await spins(client, player, 1)
    before = await achievements_by_id(client, player)
    hidden_claim = await _claim(client, player, achievement_id)
    await spins(client, player, 1)
    after = await achievements_by_id(client, player)

    assert achievement_id not in before
    assert hidden_claim.status_code == 404
    assert (after[achievement_id]["unlocked"], after[achievement_id]["hidden"]) == (True, True)


async def test_an_achievement_unlocks_only_after_its_precondition(client: Client, admin: dict[str, Any]) -> None:
    first = await _create(client, admin, target=3)
    then = await _create(client, admin, target=1, precondition=first)
    player = await _new_player(client)

    await spins(client, player, 1)
    early = await achievements_by_id(client, player)
    await spins(client, player, 2)
    late = await achievements_by_id(client, player)

    assert (early[then]["progress"], early[then]["unlocked"]) == (1, False)
    assert (late[first]["unlocked"], late[then]["unlocked"]) == (True, True)
    assert late[first]["unlocked_at"] <= late[then]["unlocked_at"]


async def test_an_unlock_reaches_the_socket_as_achievement_unlocked_and_the_inbox(
    client: Client, admin: dict[str, Any]
) -> None:
    achievement_id = await _create(client, admin, target=1, title="Socket test", reward={"coins": 25, "gems": 1})
    player = await _new_player(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await spins(client, player, 1)
        # other modules sharing the database may define achievements a first spin unlocks too: wait for this one
        frames = await _until(
            session,
            lambda seen: (
                any(f["type"] == "mission_completed" for f in seen)
                and any(f["data"].get("achievement_id") == achievement_id for f in seen)
            ),
        )

    unlocked = [f["data"] for f in frames if f["type"] == "achievement_unlocked"]
    assert {"achievement_id": achievement_id, "title": "Socket test", "reward": {"coins": 25, "gems": 1}} in unlocked
    assert {"mission_id": "first_spin", "title": "Spin the slot for the first time"} in [
        f["data"] for f in frames if f["type"] == "mission_completed"
    ]
    inbox = await get_ok(client, "/api/notifications?type=achievement", player)
    assert achievement_id in [item["data"].get("achievement_id") for item in inbox["items"]]
