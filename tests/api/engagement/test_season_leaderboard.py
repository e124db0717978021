"""Season leaderboards on PostgreSQL + Redis: the live board with `season_id`, `resets_at` and the caller's
neighbours; at the reset the rank bands are paid exactly once per player (a player without a session too), ties
broken by who reached the score first; the past season shows its final ranks and rewards. Plays in 2044."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.application.engagement.season_settlement import settle_ended_seasons
from src.application.engagement.seasons import record_scores
from src.application.shared.outbox import OutboxMessage
from src.entrypoints.container import Container
from tests.api.engagement.passes import Client, game_time, ledger, ok, spin
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import FakeClock
from tests.support.realtime import settle

DAY = datetime(2044, 2, 3, tzinfo=UTC)
BANDS = [
    {"rank_from": 1, "rank_to": 1, "coins": 1000, "gems": 10},
    {"rank_from": 2, "rank_to": 3, "coins": 500},
    {"rank_from": 4, "rank_to": 10, "coins": 100},
]


@pytest.fixture
def clock(container: Container) -> Iterator[FakeClock]:
    with game_time(container, DAY + timedelta(hours=10)) as moved:
        yield moved


def _win(user_id: str, net: int, at: datetime) -> OutboxMessage:
    payload = {"spin_id": uuid.uuid4().hex, "bet": 10, "payout": net + 10, "outcome": "triple", "streak": 1}
    return OutboxMessage(0, uuid.uuid4().hex, "SpinSettled", "user", user_id, payload, at)


async def _paid_by(client: Client, player: dict[str, Any], season_id: str) -> list[dict[str, Any]]:
    """The player's rewards from this season only: every daily season defined in the database (another module's
    too, when they share it) is live, and a player's real spins score on each."""
    rows = await ledger(client, player, "season_reward")
    return [row for row in rows if row["ref_id"].startswith(f"{season_id}:")]


async def _board(client: Client, player: dict[str, Any], definition: str) -> dict[str, Any]:
    url = f"/api/games/leaderboard?period=season&season={definition}&limit=10"
    body: dict[str, Any] = await ok(await client.get(url, headers=bearer(player)))
    return body


async def test_a_season_pays_its_rank_bands_once_per_player_with_ties_to_the_first_to_score(
    client: Client, container: Container, admin: dict[str, Any], clock: FakeClock
) -> None:
    definition = f"t_{uuid.uuid4().hex[:10]}"
    body = {"season_id": definition, "name": "Daily test", "board": "net_coins", "cadence": "daily", "rewards": BANDS}
    await ok(await client.post("/api/admin/engagement/seasons", json=body, headers=bearer(admin)), 201)
    a, b, c, d, e = [await sign_up(client) for _ in range(5)]
    await settle(client)
    for player in (a, b):
        await spin(client, player, bet=10)  # the relay feeds the season board from real spins too
    await settle(client)
    at = DAY + timedelta(hours=10)
    wins = [
        _win(a["user"]["id"], 300_000, at),
        _win(b["user"]["id"], 200_000, at),
        _win(c["user"]["id"], 100_000, at + timedelta(minutes=5)),
        _win(d["user"]["id"], 100_000, at + timedelta(minutes=1)),  # the same score, reached first
        _win(e["user"]["id"], 50_000, at),
    ]
    await in_app(client, lambda: record_scores(wins, container.seasons))
    await in_app(client, lambda: record_scores(wins[:1], container.seasons))  # redelivered: counted once
    assert (await client.post("/api/auth/logout", json={}, headers=bearer(e))).status_code == 204

    live = await _board(client, c, definition)

    season_id = f"{definition}.2044-02-03"
    assert (live["season_id"], live["period"], live["resets_at"]) == (season_id, "season", "2044-02-04T00:00:00Z")
    order = [a, b, d, c, e]
    assert [item["user_id"] for item in live["items"]] == [p["user"]["id"] for p in order]
    assert live["me"]["rank"] == 4
    assert [(item["rank"], item["user_id"]) for item in live["around_me"]] == [
        (rank, p["user"]["id"]) for rank, p in enumerate(order, start=1)
    ]
    assert live["items"][2]["score"] == live["items"][3]["score"] == 100_000

    clock.at = DAY + timedelta(days=1, minutes=5)

    async def race() -> None:
        await asyncio.gather(*(settle_ended_seasons(container.seasons) for _ in range(3)))

    await in_app(client, race)
    await in_app(client, race)

    expected = [{"coins": 1000, "gems": 10}, {"coins": 500}, {"coins": 500}, {"coins": 100}, {"coins": 100}]
    for player, reward in zip(order[:4], expected[:4], strict=True):
        rows = await _paid_by(client, player, season_id)
        assert {row["currency"]: row["delta"] for row in rows} == reward
        assert len(rows) == len(reward)
    past = await ok(await client.get(f"/api/games/leaderboard/seasons/{season_id}", headers=bearer(a)))
    assert [(i["rank"], i["user_id"]) for i in past["items"]] == [
        (rank, p["user"]["id"]) for rank, p in enumerate(order, start=1)
    ]
    assert [i["reward"] for i in past["items"]] == [{"coins": 1000, "gems": 10}] + [{"coins": 500, "gems": 0}] * 2 + [
        {"coins": 100, "gems": 0}
    ] * 2
    assert all(item["paid_at"] for item in past["items"])
    assert past["settled_at"] is not None
    offline = await client.post(
        "/api/auth/login", json={"site_id": e["user"]["site_id"], "password": "plum-orbit-canyon-42"}
    )
    assert [row["delta"] for row in await _paid_by(client, offline.json(), season_id)] == [100]
    # the definition is live on real days too: left enabled, each real midnight would pay its bands to whichever
    # players of the session's database spun that day, in the middle of other modules' tests
    disabled = {**body, "enabled": False}
    await ok(await client.put(f"/api/admin/engagement/seasons/{definition}", json=disabled, headers=bearer(admin)))


async def test_a_season_still_running_has_no_final_ranks(client: Client, clock: FakeClock) -> None:
    player = await sign_up(client)

    running = await client.get("/api/games/leaderboard/seasons/weekly_net_coins.2044-W05", headers=bearer(player))
    unknown = await client.get("/api/games/leaderboard?period=season&season=nope", headers=bearer(player))
    board = await _board(client, player, "weekly_net_coins")

    assert (running.status_code, unknown.status_code) == (404, 404)
    assert (board["season_id"], board["resets_at"]) == ("weekly_net_coins.2044-W05", "2044-02-08T00:00:00Z")
    assert (board["me"], board["around_me"]) == ({"rank": None, "score": None}, [])
