"""Leaderboards fed by play events: ranked by score, with names and the caller's own row, counted once per event."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import update

from src.adapters.sqla.models import OutboxRow
from tests.api.games.conftest import GACHA_ODDS
from tests.api.games.helpers import deliver_events, get_json, grant, pull_ok, spin_ok
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import ShiftedClock
from tests.support.env import TEST_REDIS_URL

BOARD = "/api/games/leaderboard"
BETS = (10, 40, 90)  # so every player is on the net_coins board: two spins never both net exactly zero


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The plays and the reads of the daily and weekly boards fall on one day (and ISO week) whenever CI runs."""
    return ShiftedClock.clear_of_midnight()


@pytest.fixture(autouse=True)
async def empty_boards(client: Any, container: Any, module_redis_namespace: str) -> None:
    """Each test reads boards that start empty: events another test left undelivered would land on them, so deliver
    them, then clear the boards of the module app (they live in its Redis namespace)."""
    await deliver_events(client, container)
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        async for key in redis.scan_iter(match=f"{module_redis_namespace}lb:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()


async def _board(client: Any, tokens: dict[str, Any], board: str, period: str = "daily") -> dict[str, Any]:
    view: dict[str, Any] = await get_json(client, BOARD, tokens, board=board, period=period)
    return view


async def _spin_all(client: Any, players: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [[await spin_ok(client, player, bet) for bet in BETS] for player in players]


def _net(spins: list[dict[str, Any]]) -> int:
    return sum(spin["payout"] - bet for spin, bet in zip(spins, BETS, strict=True))


def _wins(spins: list[dict[str, Any]]) -> int | None:
    """Only paying spins add to the board, so a player without one is not on it."""
    return sum(1 for spin in spins if spin["payout"] > 0) or None


def _ranked(players: list[dict[str, Any]], scores: list[int | None]) -> list[dict[str, Any]]:
    """The board as the contract orders it: highest score first, ties by user id; None is not on the board."""
    rows = sorted(
        (
            (p["user"]["id"], p["user"]["nickname"], score)
            for p, score in zip(players, scores, strict=True)
            if score is not None
        ),
        key=lambda row: (-row[2], row[0]),
    )
    return [
        {"rank": rank, "user_id": user_id, "nickname": nickname, "score": score}
        for rank, (user_id, nickname, score) in enumerate(rows, start=1)
    ]


async def _my_rows(client: Any, players: list[dict[str, Any]], board: str) -> list[dict[str, Any]]:
    return [(await _board(client, player, board))["me"] for player in players]


def _expected_mine(players: list[dict[str, Any]], ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_user = {row["user_id"]: {"rank": row["rank"], "score": row["score"]} for row in ranked}
    return [by_user.get(p["user"]["id"], {"rank": None, "score": None}) for p in players]


async def test_the_net_coins_board_ranks_players_by_their_winnings_less_their_bets(
    client: Any, container: Any, admin: dict[str, Any]
) -> None:
    players = [await sign_up(client) for _ in range(3)]
    spins = await _spin_all(client, players)
    await deliver_events(client, container)

    sut = await _board(client, players[0], "net_coins")

    expected = _ranked(players, [_net(own) for own in spins])
    assert (sut["board"], sut["period"]) == ("net_coins", "daily")
    assert [row["rank"] for row in sut["items"]] == [1, 2, 3]
    assert sut["items"] == expected
    assert {type(row["score"]) for row in sut["items"]} == {int}  # whole coins, never `-70.0`
    assert type(sut["me"]["score"]) is int
    assert await _my_rows(client, players, "net_coins") == _expected_mine(players, expected)
    assert (await _board(client, admin, "net_coins"))["me"] == {"rank": None, "score": None}
    for period in ("weekly", "all_time"):
        assert (await _board(client, admin, "net_coins", period))["items"] == expected


async def test_the_wins_board_counts_only_paying_spins(client: Any, container: Any) -> None:
    players = [await sign_up(client) for _ in range(3)]
    spins = await _spin_all(client, players)
    await deliver_events(client, container)

    sut = await _board(client, players[0], "wins")

    expected = _ranked(players, [_wins(own) for own in spins])
    assert sut["items"] == expected
    assert await _my_rows(client, players, "wins") == _expected_mine(players, expected)


async def test_an_event_delivered_again_is_counted_once(client: Any, container: Any, player: dict[str, Any]) -> None:
    spins = [await spin_ok(client, player, bet) for bet in BETS]
    await deliver_events(client, container)
    before = [await _board(client, player, board) for board in ("net_coins", "wins")]

    async def publish_again() -> int:
        async with container.uow_factory() as uow:
            statement = (
                update(OutboxRow)
                .where(OutboxRow.aggregate_id == player["user"]["id"], OutboxRow.event_type == "SpinSettled")
                .values(published_at=None)
            )
            republished = (await uow.session.execute(statement)).rowcount
            await uow.commit()
            return int(republished)

    republished = await in_app(client, publish_again)

    await deliver_events(client, container)

    sut = [await _board(client, player, board) for board in ("net_coins", "wins")]
    assert republished == len(BETS)
    assert sut == before
    assert sut[0]["me"]["score"] == _net(spins)


async def test_the_legendary_board_counts_legendary_items(
    client: Any, container: Any, admin: dict[str, Any], player: dict[str, Any], restore_odds: None
) -> None:
    only_legendary = {
        "rates": {"Legendary": 1.0, "Epic": 0.0, "Rare": 0.0, "Common": 0.0},
        "pools": {"Legendary": [{"item_id": "lb_gold_crown", "name": "Gold Crown"}]},
    }
    changed = await client.put(GACHA_ODDS, json=only_legendary, headers=bearer(admin))
    assert changed.status_code == 200, changed.text
    await grant(client, admin, player["user"]["id"], "gems", 500)
    await pull_ok(client, player, 10)
    await pull_ok(client, player, 1)
    await deliver_events(client, container)

    sut = await _board(client, player, "gacha_legendary")

    assert sut["items"] == _ranked([player], [11.0])
    assert sut["me"] == {"rank": 1, "score": 11.0}


async def test_an_unknown_board_period_or_limit_is_a_validation_error(client: Any, player: dict[str, Any]) -> None:
    queries = [{"board": "richest"}, {"period": "monthly"}, {"limit": 0}, {"limit": 101}]

    answers = [await client.get(BOARD, params=query, headers=bearer(player)) for query in queries]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(400, "VALIDATION_ERROR")] * len(queries)
