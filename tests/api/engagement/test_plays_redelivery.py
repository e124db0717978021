"""The counters of play (season scores, battle pass XP, mission and achievement progress, VIP totals) are one consumer
with one once-only key per event (`count_plays`): a relay pass delivered again, after a later consumer of the pass
failed or after the consumer itself died before its commit, counts every play once in each, and no inbox mark of
the four is written any more. The module plays in 2042 (its own battle pass season)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.application.engagement.plays import PlaysDeps, count_plays
from src.application.shared.outbox import BatchSubscriber, OutboxMessage, OutboxRelay, Subscription
from src.entrypoints.container import Container
from src.entrypoints.events import SUBSCRIBERS, subscriber_map
from tests.api.engagement.passes import Client, create_season, game_time, season_body, spin
from tests.support.api import in_app, sign_up
from tests.support.clocks import FakeClock
from tests.support.realtime import settle

START = datetime(2042, 4, 1, 12, 0, tzinfo=UTC)
_SEASONS: dict[int, dict[str, Any]] = {}
OLD_MARKS = ("battlepass_xp", "season_scores", "vip_progress")  # the three counters' former inbox marks


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """The test drives the relay: the passes it interrupts are not raced by a background one."""
    return {"outbox_relay_in_app": "false"}


@pytest.fixture(autouse=True)
async def outbox_delivered(client: Client) -> AsyncIterator[None]:
    yield
    await settle(client)


@pytest.fixture
def clock(container: Container) -> Iterator[FakeClock]:
    with game_time(container, START + timedelta(hours=1)) as moved:
        yield moved


@pytest.fixture
async def season(client: Client, admin: dict[str, Any], clock: FakeClock) -> dict[str, Any]:
    key = id(client.app)
    if key not in _SEASONS:
        _SEASONS[key] = await create_season(client, admin, season_body(START, START + timedelta(days=7)))
    return _SEASONS[key]


class RelayKilled(RuntimeError):
    pass


async def _one_pass(container: Container, subscribers: dict[str, list[Subscription]]) -> int:
    database = SqlaDatabase(container.settings.database_url)
    try:
        relay = OutboxRelay(SqlaOutboxStore(database.session_factory), subscribers, container.cache, container.clock)
        return await relay.run_once(wait_seconds=5)
    finally:
        await database.dispose()


async def _killed_after_the_counters(container: Container) -> int:
    """A pass whose last consumer of SpinSettled dies after the others ran: it publishes nothing."""

    async def die(messages: Sequence[OutboxMessage]) -> None:
        raise RelayKilled

    subscribers = subscriber_map(container)
    subscribers["SpinSettled"] = [*subscribers["SpinSettled"], BatchSubscriber(die)]
    return await _one_pass(container, subscribers)


def _killed_at_commit(deps: PlaysDeps) -> PlaysDeps:
    """The counters' consumer whose transaction dies at its commit (the process killed there)."""
    make = deps.uow_factory

    def uow_factory() -> Any:
        uow = make()

        async def commit() -> None:
            raise RelayKilled

        uow.commit = commit
        return uow

    return replace(deps, uow_factory=uow_factory)


def _map_with(container: Container, name: str, consumer: Subscription) -> dict[str, list[Subscription]]:
    """The relay's map, the table's row `name` replaced by `consumer`."""
    subscribers: dict[str, list[Subscription]] = {}
    for row in SUBSCRIBERS:
        built = consumer if row.name == name else row.build(container)
        for event_type in row.events:
            subscribers.setdefault(event_type, []).append(built)
    return subscribers


async def _killed_inside_the_counters(container: Container) -> int:
    """A pass whose counters' consumer dies at its commit: nothing of it lands, the pass publishes nothing."""
    dying = _killed_at_commit(container.plays)

    async def counters(messages: Sequence[OutboxMessage]) -> None:
        await count_plays(messages, dying)

    return await _one_pass(container, _map_with(container, "plays", BatchSubscriber(counters)))


async def _counters(container: Container, user_ids: list[str], season_id: str) -> dict[str, tuple[int, ...]]:
    """Per player: battle pass XP in the season, VIP activity points, daily spins mission progress, season score
    (all boards), and the three counters' former inbox marks for the player's spins."""
    database = SqlaDatabase(container.settings.database_url)
    query = text(
        """
        SELECT u.id,
            (SELECT COALESCE(SUM(xp), 0) FROM battlepass_progress WHERE user_id = u.id AND season_id = :season),
            (SELECT COALESCE(SUM(activity_points), 0) FROM vip_totals WHERE user_id = u.id),
            (SELECT COALESCE(SUM(progress), 0) FROM mission_progress
                WHERE user_id = u.id AND mission_id = 'daily_spins_20'),
            (SELECT COALESCE(SUM(score), 0) FROM season_scores WHERE user_id = u.id),
            (SELECT count(*) FROM processed_events AS p JOIN outbox AS o ON o.event_id = p.event_id
                WHERE o.aggregate_id = u.id AND p.consumer = ANY(:marks))
        FROM users AS u WHERE u.id = ANY(:users)
        """
    )
    try:
        async with database.session_factory() as session:
            parameters = {"season": season_id, "marks": list(OLD_MARKS), "users": user_ids}
            rows = (await session.execute(query, parameters)).all()
    finally:
        await database.dispose()
    return {row[0]: tuple(int(value) for value in row[1:]) for row in rows}


async def _spins(client: Client, players: list[dict[str, Any]], times: list[int]) -> None:
    for player, count in zip(players, times, strict=True):
        for _ in range(count):
            await spin(client, player, bet=100)  # 11 XP (10 a play, 1 per 100 coins), 1 VIP activity point


async def test_a_pass_delivered_again_after_a_later_consumer_failed_counts_each_play_once(
    client: Client, container: Container, season: dict[str, Any]
) -> None:
    first, second = await sign_up(client), await sign_up(client)
    await settle(client)
    ids = [first["user"]["id"], second["user"]["id"]]
    await _spins(client, [first, second], [3, 2])

    published = await in_app(client, lambda: _killed_after_the_counters(container))
    counted = await in_app(client, lambda: _counters(container, ids, season["season_id"]))
    await settle(client)  # the whole pass again, then until the outbox is empty
    recounted = await in_app(client, lambda: _counters(container, ids, season["season_id"]))
    await settle(client)  # and nothing is left to count

    assert published == 0
    assert [counted[user][:3] for user in ids] == [(33, 3, 3), (22, 2, 2)]
    # season scores (index 3) depend on the reels: counted once means unchanged by the pass delivered again
    assert recounted == counted == await in_app(client, lambda: _counters(container, ids, season["season_id"]))
    assert [counted[user][4] for user in ids] == [0, 0]  # no inbox mark of the three former consumers


async def test_a_pass_whose_counters_died_before_their_commit_counts_each_play_once_when_delivered_again(
    client: Client, container: Container, season: dict[str, Any]
) -> None:
    first, second = await sign_up(client), await sign_up(client)
    await settle(client)
    ids = [first["user"]["id"], second["user"]["id"]]
    await _spins(client, [first, second], [2, 1])

    published = await in_app(client, lambda: _killed_inside_the_counters(container))
    died = await in_app(client, lambda: _counters(container, ids, season["season_id"]))
    await settle(client)
    await settle(client)
    counted = await in_app(client, lambda: _counters(container, ids, season["season_id"]))

    assert published == 0
    assert [died[user] for user in ids] == [(0, 0, 0, 0, 0)] * 2  # the keys rolled back with the counts
    assert [counted[user][:3] for user in ids] == [(22, 2, 2), (11, 1, 1)]
    assert [counted[user][4] for user in ids] == [0, 0]
