"""The outbox relay interrupted mid-batch, then redelivering the whole pass: the progress engine had already counted
the pass's plays (one transaction per player) and counts none of them twice, nor pays an unlock twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.application.shared.outbox import BatchSubscriber, OutboxMessage, OutboxRelay
from src.entrypoints.container import Container
from src.entrypoints.events import subscriber_map
from tests.api.engagement.conftest import get_ok
from tests.api.engagement.missions_support import Client, achievements_by_id, claim, missions_by_id
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import ShiftedClock
from tests.support.realtime import settle


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """The test drives the relay: the pass it interrupts is not raced by a background one."""
    return {"outbox_relay_in_app": "false"}


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The plays and the reads of daily and weekly progress fall on one day (and week) whenever CI runs."""
    return ShiftedClock.clear_of_midnight()


@pytest.fixture(autouse=True)
async def outbox_delivered(client: Client) -> AsyncIterator[None]:
    yield
    await settle(client)


class RelayKilled(RuntimeError):
    pass


async def _killed_mid_pass(container: Container) -> int:
    """One relay pass whose last consumer of SpinSettled dies after the others (progress included) ran: the pass
    publishes nothing, as if the process had been killed there."""

    async def die(messages: Sequence[OutboxMessage]) -> None:
        raise RelayKilled

    subscribers = subscriber_map(container)
    subscribers["SpinSettled"] = [*subscribers["SpinSettled"], BatchSubscriber(die)]
    database = SqlaDatabase(container.settings.database_url)
    try:
        relay = OutboxRelay(SqlaOutboxStore(database.session_factory), subscribers, container.cache, container.clock)
        return await relay.run_once(wait_seconds=5)
    finally:
        await database.dispose()


async def _spin(client: Client, player: dict[str, Any], times: int) -> None:
    for _ in range(times):
        response = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
        assert response.status_code == 200, response.text


async def test_a_pass_killed_after_counting_and_delivered_again_counts_each_play_once(
    client: Client, container: Container
) -> None:
    first, second = await sign_up(client), await sign_up(client)
    await settle(client)
    await _spin(client, first, 3)
    await _spin(client, second, 2)

    published = await in_app(client, lambda: _killed_mid_pass(container))
    counted = [await missions_by_id(client, player) for player in (first, second)]
    await settle(client)  # the whole pass again, then until the outbox is empty
    recounted = [await missions_by_id(client, player) for player in (first, second)]

    assert published == 0
    assert [board["daily_spins_20"]["progress"] for board in counted] == [3, 2]
    assert [board["daily_spins_20"]["progress"] for board in recounted] == [3, 2]
    assert [board["weekly_spins_200"]["progress"] for board in recounted] == [3, 2]
    assert (await achievements_by_id(client, first))["spins_100"]["progress"] == 3
    ledger = (await get_ok(client, "/api/wallet/ledger?limit=100", first))["items"]
    paid = [entry["ref_id"] for entry in ledger if entry["reason"] == "achievement_reward"]
    assert paid.count(f"{first['user']['id']}:first_spin") == 1  # (first_win pays too if a spin won)
    assert (await claim(client, first, "first_spin")).status_code == 200
    assert (await claim(client, first, "first_spin")).status_code == 409
