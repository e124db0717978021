"""Ticks raced and retried: one reward per player and day, whatever arrives at once or again."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.engagement.conftest import STATUS, TICK, SettableClock, get_ok, streak_ledger
from tests.support.api import bearer

Client = AsyncTestClient[Litestar]
RACERS = 16


async def test_concurrent_ticks_of_one_player_on_one_day_grant_exactly_one_reward(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)

    responses = await asyncio.gather(*(client.post(TICK, headers=bearer(player)) for _ in range(RACERS)))

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [409] * (RACERS - 1), [r.text for r in responses if r.status_code not in (200, 409)]
    refusals = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert refusals == {"ALREADY_CLAIMED"}
    [entry] = await streak_ledger(client, player)
    assert entry["delta"] == 100
    assert (await get_ok(client, "/api/wallet", player))["coins"] == 1100
    assert (await get_ok(client, STATUS, player))["count"] == 1


async def test_concurrent_ticks_on_consecutive_days_count_each_day_once(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    for offset in range(3):
        clock.on_day(offset)
        responses = await asyncio.gather(*(client.post(TICK, headers=bearer(player)) for _ in range(6)))
        assert sorted(r.status_code for r in responses) == [200] + [409] * 5

    assert [entry["delta"] for entry in await streak_ledger(client, player)] == [300, 200, 100]
    assert (await get_ok(client, STATUS, player))["count"] == 3


async def test_a_replayed_idempotency_key_returns_the_same_body_and_grants_once(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    headers = {**bearer(player), "Idempotency-Key": "tick-day-0"}

    first = await client.post(TICK, headers=headers)
    replay = await client.post(TICK, headers=headers)
    fresh = await client.post(TICK, headers=bearer(player))  # no key: a real second tick

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert fresh.status_code == 409
    assert len(await streak_ledger(client, player)) == 1


async def test_the_body_key_counts_when_no_header_is_sent_and_a_refusal_replays_too(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    await client.post(TICK, headers=bearer(player))

    refused = await client.post(TICK, json={"idempotency_key": "late"}, headers=bearer(player))
    clock.on_day(1)  # a new day: the key still answers what it answered
    replay = await client.post(TICK, json={"idempotency_key": "late"}, headers=bearer(player))

    assert (refused.status_code, replay.status_code) == (409, 409)
    assert replay.json()["error"]["code"] == "ALREADY_CLAIMED"
    assert replay.headers.get("idempotent-replayed") == "true"
    assert len(await streak_ledger(client, player)) == 1
