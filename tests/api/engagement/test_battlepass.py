"""The battle pass over HTTP on PostgreSQL + Redis: XP from spins and purchases, status, claims paid once through
the ledger, the premium track bought late, level_up on the player's socket, and a redelivered event counted once.

The module plays in 2041 (its own season; the suite's modules share one database)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.application.engagement.battlepass_xp import award_xp
from src.application.shared.outbox import OutboxMessage
from src.entrypoints.container import Container
from tests.api.engagement.passes import (
    PREMIUM_PRICE,
    Client,
    buy_gems,
    create_season,
    game_time,
    ledger,
    ok,
    season_body,
    spin,
    status,
)
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import FakeClock
from tests.support.realtime import WS, events, settle
from tests.support.wallet import assert_ledger_explains

START = datetime(2041, 3, 1, 12, 0, tzinfo=UTC)
_SEASONS: dict[int, dict[str, Any]] = {}
RACERS = 16


@pytest.fixture
def clock(container: Container) -> Iterator[FakeClock]:
    with game_time(container, START + timedelta(hours=1)) as moved:
        yield moved


@pytest.fixture
async def season(client: Client, admin: dict[str, Any], clock: FakeClock) -> dict[str, Any]:
    """The module's season: 2041-03-01 12:00 for a week (created once per app)."""
    key = id(client.app)
    if key not in _SEASONS:
        _SEASONS[key] = await create_season(client, admin, season_body(START, START + timedelta(days=7)))
    return _SEASONS[key]


@pytest.fixture
async def player(client: Client, season: dict[str, Any]) -> dict[str, Any]:
    tokens = await sign_up(client)
    await settle(client)
    return tokens


async def _grant_gems(client: Client, admin: dict[str, Any], player: dict[str, Any], amount: int) -> None:
    body = {"currency": "gems", "amount": amount, "reason": "test gems"}
    headers = {**bearer(admin), "idempotency-key": uuid.uuid4().hex}
    await ok(await client.post(f"/api/admin/users/{player['user']['id']}/grant", json=body, headers=headers), 201)


async def test_spins_and_a_purchase_earn_xp_by_the_seasons_table(
    client: Client, season: dict[str, Any], player: dict[str, Any]
) -> None:
    await spin(client, player, bet=100)  # 10 per play + 1 per 100 coins wagered
    await spin(client, player, bet=300)
    after_spins = await status(client, player)
    await buy_gems(client, player)  # 100 per captured purchase
    after_purchase = await status(client, player)
    me = await ok(await client.get("/api/auth/me", headers=bearer(player)))

    assert (after_spins["season_id"], after_spins["xp"], after_spins["level"]) == (season["season_id"], 24, 2)
    assert after_spins["xp_to_next"] == 6
    assert after_spins["ends_at"] == season["ends_at"].replace("+00:00", "Z")
    assert (after_purchase["xp"], after_purchase["level"], after_purchase["xp_to_next"]) == (124, 12, 6)
    assert after_purchase["claimable_levels"] == {"free": list(range(1, 13)), "premium": []}
    assert after_purchase["premium"] is False
    assert me["battlepass_level"] == 12
    public = await ok(await client.get(f"/api/users/{player['user']['id']}", headers=bearer(player)))
    assert public["battlepass_level"] == 12


async def test_premium_bought_late_makes_every_premium_level_already_reached_claimable(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    for _ in range(3):
        await spin(client, player)  # 11 XP each: level 3
    await _grant_gems(client, admin, player, PREMIUM_PRICE + 5)
    before = await status(client, player)
    refused = await client.post("/api/battlepass/claim", json={"level": 1, "track": "premium"}, headers=bearer(player))
    headers = {**bearer(player), "idempotency-key": "premium-1"}

    bought = await client.post("/api/battlepass/premium", headers=headers)
    replayed = await client.post("/api/battlepass/premium", headers=headers)
    again = await client.post("/api/battlepass/premium", headers={**bearer(player), "idempotency-key": "premium-2"})
    keyless = await client.post("/api/battlepass/premium", headers=bearer(player))

    assert before["claimable_levels"] == {"free": [1, 2, 3], "premium": []}
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "NOT_CLAIMABLE")
    assert bought.status_code == 200, bought.text
    assert bought.json()["premium"] is True
    assert bought.json()["claimable_levels"] == {"free": [1, 2, 3], "premium": [1, 2, 3]}
    assert (replayed.json(), replayed.headers.get("idempotent-replayed")) == (bought.json(), "true")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_CLAIMED")
    assert (keyless.status_code, keyless.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    [debit] = await ledger(client, player, "battlepass_premium")
    assert (debit["currency"], debit["delta"]) == ("gems", -PREMIUM_PRICE)
    claimed = await ok(
        await client.post("/api/battlepass/claim", json={"level": 3, "track": "premium"}, headers=bearer(player))
    )
    assert claimed["reward"] == {"coins": 60, "gems": 1}
    assert claimed["balances"]["gems"] == 5 + 1
    assert (await status(client, player))["claimable_levels"]["premium"] == [1, 2]


async def test_a_self_excluded_player_cannot_buy_the_premium_track(
    client: Client, admin: dict[str, Any], player: dict[str, Any], container: Container, clock: FakeClock
) -> None:
    await _grant_gems(client, admin, player, PREMIUM_PRICE)
    real = container.limits
    container.limits = replace(real, clock=clock)  # the exclusion starts in the module's year
    try:
        excluded = await client.post("/api/limits/self-exclusion", json={"months": 6}, headers=bearer(player))
    finally:
        container.limits = real
    headers = {**bearer(player), "idempotency-key": uuid.uuid4().hex}

    refused = await client.post("/api/battlepass/premium", headers=headers)

    assert excluded.status_code == 200, excluded.text
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "SELF_EXCLUDED"
    assert datetime.fromisoformat(error["details"]["until"]) == datetime.fromisoformat(excluded.json()["until"])
    assert (await status(client, player))["premium"] is False
    assert await ledger(client, player, "battlepass_premium") == []


async def test_premium_without_the_gems_is_refused_and_changes_nothing(client: Client, player: dict[str, Any]) -> None:
    headers = {**bearer(player), "idempotency-key": uuid.uuid4().hex}

    response = await client.post("/api/battlepass/premium", headers=headers)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    assert (await status(client, player))["premium"] is False
    assert await ledger(client, player, "battlepass_premium") == []


async def test_concurrent_claims_of_one_level_pay_once(client: Client, player: dict[str, Any]) -> None:
    await spin(client, player)
    await status(client, player)
    body = {"level": 1, "track": "free"}

    responses = await asyncio.gather(
        *(client.post("/api/battlepass/claim", json=body, headers=bearer(player)) for _ in range(RACERS))
    )

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [409] * (RACERS - 1), [r.text for r in responses if r.status_code not in (200, 409)]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"ALREADY_CLAIMED"}
    [paid] = await ledger(client, player, "battlepass_reward")
    assert (paid["currency"], paid["delta"]) == ("coins", 10)
    entries = list(reversed(await ledger(client, player)))
    wallet = await ok(await client.get("/api/wallet", headers=bearer(player)))
    assert_ledger_explains(entries, "coins", wallet["coins"])
    assert (await status(client, player))["claimable_levels"]["free"] == []


async def test_a_level_not_reached_or_out_of_the_season_is_not_claimable(
    client: Client, player: dict[str, Any]
) -> None:
    await spin(client, player)
    await status(client, player)

    unreached = await client.post("/api/battlepass/claim", json={"level": 2, "track": "free"}, headers=bearer(player))
    beyond = await client.post("/api/battlepass/claim", json={"level": 31, "track": "free"}, headers=bearer(player))
    bad = await client.post("/api/battlepass/claim", json={"level": 0, "track": "gold"}, headers=bearer(player))

    assert [r.status_code for r in (unreached, beyond, bad)] == [409, 409, 400]
    assert {unreached.json()["error"]["code"], beyond.json()["error"]["code"]} == {"NOT_CLAIMABLE"}


async def test_a_reached_level_arrives_on_the_players_socket_as_level_up(
    client: Client, season: dict[str, Any], player: dict[str, Any]
) -> None:
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await spin(client, player, bet=1000)  # 20 XP: levels 1 and 2
        await settle(client)
        frames: list[dict[str, Any]] = []
        while len(frames) < 2:  # beside the spin's profile_update
            frames += [frame for frame in await events(session, 1) if frame["type"] == "level_up"]

    assert [frame["data"] for frame in frames] == [
        {"season_id": season["season_id"], "level": 1},
        {"season_id": season["season_id"], "level": 2},
    ]


async def test_a_redelivered_play_event_counts_its_xp_once(
    client: Client, container: Container, clock: FakeClock, player: dict[str, Any]
) -> None:
    user_id = player["user"]["id"]
    message = OutboxMessage(
        0,
        uuid.uuid4().hex,
        "SpinSettled",
        "user",
        user_id,
        {"spin_id": "s", "bet": 500, "payout": 0, "outcome": "lose", "streak": 0},
        clock.now(),
    )

    await in_app(client, lambda: award_xp([message, message], container.battlepass))
    await in_app(client, lambda: award_xp([message], container.battlepass))

    assert (await status(client, player))["xp"] == 15


async def test_concurrent_premium_purchases_with_different_keys_debit_once(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await _grant_gems(client, admin, player, PREMIUM_PRICE * 3)

    responses = await asyncio.gather(
        *(
            client.post("/api/battlepass/premium", headers={**bearer(player), "idempotency-key": f"buy-{n}"})
            for n in range(8)
        )
    )

    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"ALREADY_CLAIMED"}
    assert [entry["delta"] for entry in await ledger(client, player, "battlepass_premium")] == [-PREMIUM_PRICE]
    wallet = await ok(await client.get("/api/wallet", headers=bearer(player)))
    assert wallet["gems"] == PREMIUM_PRICE * 2
