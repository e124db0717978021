"""Season-end settlement over PostgreSQL: every reached-but-unclaimed reward is paid to its player exactly once,
premium ones to premium holders, offline players included, however many settlements run at once or again; a play
of the season relayed after it was settled still pays its level. The module plays in 2042."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.application.engagement.battlepass_settlement import settle_ended_seasons
from src.application.engagement.battlepass_xp import award_xp
from src.application.shared.outbox import OutboxMessage
from src.entrypoints.container import Container
from tests.api.engagement.passes import (
    PREMIUM_PRICE,
    Client,
    create_season,
    game_time,
    ledger,
    ok,
    season_body,
    spin,
    status,
)
from tests.support.api import bearer, in_app, log_in, sign_up
from tests.support.clocks import FakeClock
from tests.support.realtime import settle

START = datetime(2042, 6, 1, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)


@pytest.fixture
def clock(container: Container) -> Iterator[FakeClock]:
    with game_time(container, START + timedelta(hours=1)) as moved:
        yield moved


async def _player(client: Client, spins: int) -> dict[str, Any]:
    tokens = await sign_up(client)
    await settle(client)
    for _ in range(spins):
        await spin(client, tokens)  # 11 XP: one level each
    await settle(client)
    return tokens


async def _settle_twice_at_once(client: Client, container: Container) -> None:
    async def race() -> None:
        await asyncio.gather(settle_ended_seasons(container.battlepass), settle_ended_seasons(container.battlepass))

    await in_app(client, race)


def _totals(entries: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in entries:
        totals[entry["currency"]] = totals.get(entry["currency"], 0) + entry["delta"]
    return totals


async def test_season_end_pays_every_unclaimed_reward_once_offline_players_included(
    client: Client, container: Container, admin: dict[str, Any], clock: FakeClock
) -> None:
    season = await create_season(client, admin, season_body(START, END))
    claimer, holder, offline = await _player(client, 3), await _player(client, 2), await _player(client, 1)
    await status(client, claimer)
    await ok(await client.post("/api/battlepass/claim", json={"level": 1, "track": "free"}, headers=bearer(claimer)))
    grant = {"currency": "gems", "amount": PREMIUM_PRICE, "reason": "premium"}
    await ok(
        await client.post(
            f"/api/admin/users/{holder['user']['id']}/grant",
            json=grant,
            headers={**bearer(admin), "idempotency-key": uuid.uuid4().hex},
        ),
        201,
    )
    await ok(await client.post("/api/battlepass/premium", headers={**bearer(holder), "idempotency-key": "p"}))
    await ok(
        await client.post(
            "/api/auth/logout", json={"refresh_token": offline["refresh_token"]}, headers=bearer(offline)
        ),
        204,
    )
    await settle(client)

    clock.at = END + timedelta(minutes=5)
    await _settle_twice_at_once(client, container)
    await _settle_twice_at_once(client, container)  # and again: nothing more

    stored = await ok(
        await client.get(f"/api/admin/engagement/battlepass/{season['season_id']}", headers=bearer(admin))
    )
    assert stored["settled_at"] is not None
    claimer_rows = await ledger(client, claimer, "battlepass_reward")
    assert sorted(entry["delta"] for entry in claimer_rows) == [10, 20 + 30]  # the claim, then levels 2 and 3
    assert _totals(await ledger(client, holder, "battlepass_reward")) == {"coins": 10 + 20 + 20 + 40, "gems": 2}
    assert len(await ledger(client, holder, "battlepass_reward")) == 2  # one row per currency
    relogged = await ok(await log_in(client, offline["user"]["site_id"]))
    assert [entry["delta"] for entry in await ledger(client, relogged, "battlepass_reward")] == [10]
    gone = await client.get("/api/battlepass/status", headers=bearer(claimer))
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_a_play_of_the_season_relayed_after_settlement_still_pays_its_level(
    client: Client, container: Container, admin: dict[str, Any], clock: FakeClock
) -> None:
    clock.at = START + timedelta(days=10, hours=1)
    start = START + timedelta(days=10)
    await create_season(client, admin, season_body(start, start + timedelta(days=1)))
    player = await _player(client, 1)
    clock.at = start + timedelta(days=1, minutes=5)
    await in_app(client, lambda: settle_ended_seasons(container.battlepass))
    late = OutboxMessage(
        0,
        uuid.uuid4().hex,
        "SpinSettled",
        "user",
        player["user"]["id"],
        {"spin_id": "s", "bet": 100, "payout": 0, "outcome": "lose", "streak": 0},
        start + timedelta(hours=23),
    )

    await in_app(client, lambda: award_xp([late], container.battlepass))
    await settle(client)

    assert sorted(entry["delta"] for entry in await ledger(client, player, "battlepass_reward")) == [10, 20]
