"""The progress engine's relay pass on memory, SQLite and PostgreSQL: passes sharing players run concurrently and
count every play once, a claim racing a pass keeps both, and on PostgreSQL a pass costs the same round trips for one
player as for fifty (it was one transaction of 6-8 round trips per player: ~450 for 64 players)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.engagement.deps import MissionDeps
from src.application.engagement.missions import claim_mission, list_missions
from src.application.engagement.progress import apply_progress
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.errors import AlreadyClaimed
from src.domain.wallet.model import Currency
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.clocks import FakeClock
from tests.support.databases import DatabaseReaper, create_database
from tests.support.round_trips import counted, instrumented, statements_sent

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _deps(uow_factory: UnitOfWorkFactory) -> MissionDeps:
    return MissionDeps(uow_factory, FakeClock(NOW), ZoneInfo("UTC"), SecretsIdGenerator())  # type: ignore[arg-type]


def _spins(user_id: str, count: int) -> list[OutboxMessage]:
    payload = {"bet": 10, "payout": 0}
    return [OutboxMessage(0, uuid.uuid4().hex, "SpinSettled", "user", user_id, payload, NOW) for _ in range(count)]


def overlapping_passes(spins: dict[str, list[OutboxMessage]]) -> list[list[OutboxMessage]]:
    """Three passes over three players' four spins each: every pass names the players in another order, and repeats
    spins another pass carries."""
    first, second, third = spins.values()
    return [
        first[:2] + second[:3] + third[:1],
        third + second[2:] + first[1:3],
        second[::-1] + first[::-1],
    ]


async def _progress(deps: MissionDeps, user_id: str, mission_id: str) -> tuple[int, bool]:
    board = await list_missions(user_id, deps)
    view = next(view for view in board.items if view.definition.mission_id == mission_id)
    return view.progress, view.claimed


async def test_passes_sharing_players_count_concurrently_and_every_play_once(uow_factory: UnitOfWorkFactory) -> None:
    deps = _deps(uow_factory)
    players = [await given_user(uow_factory) for _ in range(3)]
    passes = overlapping_passes({player: _spins(player, 4) for player in players})

    await asyncio.gather(*(apply_progress(messages, deps) for messages in passes))
    async with uow_factory() as uow:
        spun = [(await uow.progress.achievements_of(player))["first_spin"] for player in players]

    assert [await _progress(deps, player, "daily_spins_20") for player in players] == [(4, False)] * 3
    assert [(row.progress, row.claimed_at) for row in spun] == [(4, NOW)] * 3  # auto-claimed once


async def test_a_claim_racing_passes_of_its_player_keeps_the_claim_and_every_count(
    uow_factory: UnitOfWorkFactory,
) -> None:
    deps = _deps(uow_factory)
    player = await given_user(uow_factory)
    await apply_progress(_spins(player, 1), deps)  # first_spin completed

    async def claim() -> bool:
        try:
            await claim_mission(player, "first_spin", deps)
        except AlreadyClaimed:
            return False
        return True

    outcomes = await asyncio.gather(claim(), *(apply_progress(_spins(player, 2), deps) for _ in range(3)), claim())

    assert sorted([outcomes[0], outcomes[-1]]) == [False, True]
    assert await _progress(deps, player, "first_spin") == (1, True)  # capped at the target, claimed
    assert await _progress(deps, player, "daily_spins_20") == (7, False)


@pytest.fixture
async def pg_deps(migrated_template: str, database_reaper: DatabaseReaper) -> AsyncIterator[MissionDeps]:
    """A database of its own: definitions other tests add to the shared one would be crossed by these passes (a
    crossing adds its own statements, a few for all players: the events, the unlocks, the notices)."""
    name, url = await create_database(template=migrated_template)
    database = SqlaDatabase(url)
    factory: Callable[[], SqlaUnitOfWork] = lambda: SqlaUnitOfWork(database.session_factory)  # noqa: E731
    try:
        yield _deps(factory)
    finally:
        await database.dispose()
        database_reaper.drop(name)


async def _round_trips_of_a_pass(deps: MissionDeps, players: int) -> tuple[int, list[str]]:
    """Round trips of a pass of 3 spins by each of `players` players who crossed their first-spin thresholds
    already (a crossing adds its own work: the event, the notice, the prize)."""
    users = [await given_user(deps.uow_factory) for _ in range(players)]  # type: ignore[arg-type]
    await apply_progress([message for user in users for message in _spins(user, 1)], deps)
    messages = [message for user in users for message in _spins(user, 3)]
    with instrumented():
        return (await counted(lambda: apply_progress(messages, deps)))["statements"], users


async def test_a_pass_costs_the_same_round_trips_for_one_player_as_for_fifty(pg_deps: MissionDeps) -> None:
    one, _ = await _round_trips_of_a_pass(pg_deps, 1)
    fifty, players = await _round_trips_of_a_pass(pg_deps, 50)

    # BEGIN, the two definition lists, the players' locks, the event ids, missions, achievements, COMMIT
    assert (one, fifty) == (8, 8)
    assert [await _progress(pg_deps, player, "daily_spins_20") for player in players] == [(4, False)] * 50


async def _round_trips_of_first_spins(deps: MissionDeps, players: int) -> tuple[int, list[str]]:
    """Round trips of a pass of each player's first spin: every player completes `first_spin` and unlocks its
    automatically claimed achievement (its prize credited, its notice stored)."""
    users = [await given_user(deps.uow_factory) for _ in range(players)]  # type: ignore[arg-type]
    messages = [message for user in users for message in _spins(user, 1)]
    with instrumented():
        return (await counted(lambda: apply_progress(messages, deps)))["statements"], users


async def test_a_pass_of_first_spins_costs_the_same_round_trips_for_one_player_as_for_fifty(
    pg_deps: MissionDeps,
) -> None:
    one, _ = await _round_trips_of_first_spins(pg_deps, 1)
    fifty, players = await _round_trips_of_first_spins(pg_deps, 50)

    # the 8 of a pass without crossings, then the unlocks, the prizes' credits (one statement for the pass: 2 round
    # trips per player before, 111 for fifty), the notices and the outbox's events
    assert (one, fifty) == (12, 12)
    balances = [await _coins(pg_deps, player) for player in players]
    assert balances[0] > 0  # the first-spin achievement's coins, paid to each
    assert balances == [balances[0]] * 50


async def test_a_pass_credits_its_prizes_last_before_its_events_and_commit(pg_deps: MissionDeps) -> None:
    """From the prizes' wallet write to the commit the players' wallet rows stay locked, and each of their spins
    waits on them: nothing but the pass's events may be written in between."""
    users = [await given_user(pg_deps.uow_factory) for _ in range(3)]  # type: ignore[arg-type]
    with statements_sent() as sent:
        await apply_progress([message for user in users for message in _spins(user, 1)], pg_deps)

    credit = max(index for index, text in enumerate(sent) if "ledger_entries" in text)
    assert [text.split("(")[0].strip() for text in sent[credit + 1 :]] == ["INSERT INTO outbox"]
    assert [await _coins(pg_deps, user) for user in users] == [await _coins(pg_deps, users[0])] * 3
    assert await _coins(pg_deps, users[0]) > 0  # the first-spin prize was paid


async def _coins(deps: MissionDeps, user_id: str) -> int:
    async with deps.uow_factory() as uow:
        return (await uow.wallets.balances(user_id)).get(Currency.COINS, 0)
