"""A plain spin on PostgreSQL: after a player's first, two statements and no transaction of its own, on
connections of the standalone pool (`PgPlaysAtOnce`: no unit of work, no session).

`peek_play` reads without locking; `settle_at_once` is the settlement and its outbox rows in one statement that
commits by itself, guarded by a locking read of the state, the seed pair and the play clock that holds only while
they are as read. What that promises (nonce used once, nothing written by a moved play, the balance in the
event, concurrent spins of one player all settled) is shown here on a database of this module's own: the suite's
games database holds the contract tests' placeholder odds.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.pg_plays import PgPlaysAtOnce
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.games.deps import GamesDeps
from src.application.games.plays import _slot_settlement, _spin_events, place_spin
from src.application.games.ports import PlayMoved, PlayStart
from src.domain.games.play import GameType
from src.domain.games.slot import DEFAULT_SLOT_CONFIG
from src.domain.limits.model import Restriction, RestrictionKind, TimedOut
from src.domain.wallet.errors import InsufficientFunds
from src.domain.wallet.model import Currency, Movement
from tests.contract.wallet.conftest import given_user
from tests.support.clocks import FakeClock
from tests.support.databases import DatabaseReaper, create_database
from tests.support.fairness import TEST_VAULT
from tests.support.round_trips import counted, instrumented, statements_sent

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
Factory = Callable[[], SqlaUnitOfWork]


class Spins:
    def __init__(self, url: str, database: SqlaDatabase, pool: DriverPool) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.factory: Factory = lambda: SqlaUnitOfWork(database.session_factory)
        self.clock = FakeClock(NOW)
        self.published = 0
        self.pool = pool
        self.sut = PgPlaysAtOnce(pool, self._publish)
        ids, vault = SecretsIdGenerator(), TEST_VAULT
        self.deps = GamesDeps(self.factory, self.clock, ids, vault, InMemoryLeaderboard(), at_once=self.sut)

    def _publish(self) -> None:
        self.published += 1

    async def player(self, coins: int = 1000) -> str:
        user_id = await given_user(self.factory)
        async with self.factory() as uow:
            await uow.wallets.credit(Movement(user_id, Currency.COINS, coins, "seed"), NOW)
            await uow.commit()
        return user_id

    async def rows(self, query: str, *arguments: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.url)
        try:
            return list(await connection.fetch(query, *arguments))
        finally:
            await connection.close()

    async def balance(self, user_id: str) -> int:
        async with self.factory() as uow:
            return (await uow.wallets.balances(user_id))[Currency.COINS]

    async def nonces(self, user_id: str) -> list[int]:
        rows = await self.rows("SELECT nonce FROM game_history WHERE user_id = $1 ORDER BY nonce", user_id)
        return [row["nonce"] for row in rows]


@pytest.fixture
async def spins(migrated_template: str, database_reaper: DatabaseReaper) -> AsyncIterator[Spins]:
    name, url = await create_database("cc_spin_once", template=migrated_template)
    database = SqlaDatabase(url)
    pool = DriverPool(database.connect_driver, size=4, timeout=10)
    try:
        yield Spins(url, database, pool)
    finally:
        await pool.close()
        await database.dispose()
        database_reaper.drop(name)  # in the background: a DROP DATABASE waits for a checkpoint (~1-3 s a test)


async def _peeked(spins: Spins, user_id: str) -> PlayStart:
    start = await spins.sut.peek_play(user_id, GameType.SLOT)
    assert start is not None
    return start


async def test_a_first_spin_is_a_transaction_and_the_next_two_statements_without_one(spins: Spins) -> None:
    user_id = await spins.player()

    with instrumented():
        first = await counted(lambda: place_spin(user_id, 10, spins.deps))
        with statements_sent() as sent:
            second = await counted(lambda: place_spin(user_id, 10, spins.deps))

    # the peek that finds no state, then BEGIN, begin the play (its seed pair committed), settle, outbox, COMMIT
    assert first["statements"] == 6
    assert second["statements"] == 2, sent  # no BEGIN, no COMMIT
    peek, settle = sent
    assert "FOR UPDATE" not in peek
    assert "INSERT" not in peek
    assert all(f"INSERT INTO {table}" in settle for table in ("ledger_entries", "game_history", "outbox"))
    assert await spins.nonces(user_id) == [0, 1]
    assert spins.published == 1  # told of the rows the statement wrote (the first spin's unit of work has no hook)


async def test_a_peek_reads_what_begin_play_does_without_locking(spins: Spins) -> None:
    user_id = await spins.player()
    assert await spins.sut.peek_play(user_id, GameType.SLOT) is None  # never played: the transaction begins it
    await place_spin(user_id, 10, spins.deps)

    peeked = await _peeked(spins, user_id)
    async with spins.factory() as uow:
        begun = await uow.plays.peek_play(user_id, GameType.SLOT)
        again = await spins.sut.peek_play(user_id, GameType.SLOT)  # the locked rows are read all the same

    assert begun is not None
    assert (peeked.state, peeked.seeds, peeked.clock, peeked.limits) == (
        begun.state,
        begun.seeds,
        begun.clock,
        begun.limits,
    )
    assert peeked.seeds.nonce == 1
    assert peeked.config_version == begun.config_version
    assert again == peeked


async def test_a_spin_settled_at_once_stores_its_events_with_the_balance_after(spins: Spins) -> None:
    user_id = await spins.player()
    await place_spin(user_id, 10, spins.deps)

    result = await place_spin(user_id, 10, spins.deps)

    rows = await spins.rows(
        "SELECT event_type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY position DESC LIMIT 2", user_id
    )
    settled, changed = (json.loads(row["payload"]) for row in reversed(rows))
    assert [row["event_type"] for row in reversed(rows)] == ["SpinSettled", "BalanceChanged"]
    assert settled["spin_id"] == result.spin_id
    assert changed["balance_after"] == result.balance_after == await spins.balance(user_id)
    assert changed["delta"] == result.payout - 10


async def test_a_play_that_moved_after_the_peek_writes_nothing(spins: Spins) -> None:
    user_id = await spins.player()
    await place_spin(user_id, 10, spins.deps)
    start = await _peeked(spins, user_id)
    await place_spin(user_id, 10, spins.deps)  # another play of theirs settles meanwhile: the nonce moved
    balance, outbox = await spins.balance(user_id), await spins.rows("SELECT count(*) FROM outbox")
    settlement, outcome = _slot_settlement(user_id, 10, str(uuid.uuid4()), NOW, start, start.clock, spins.deps)

    with pytest.raises(PlayMoved):
        await spins.sut.settle_at_once(start, settlement, _spin_events(settlement, outcome, 0))

    assert await spins.nonces(user_id) == [0, 1]
    assert await spins.balance(user_id) == balance
    assert await spins.rows("SELECT count(*) FROM outbox") == outbox


async def test_a_play_clock_that_moved_after_the_peek_writes_nothing(spins: Spins) -> None:
    user_id = await spins.player()
    await place_spin(user_id, 10, spins.deps)
    start = await _peeked(spins, user_id)
    async with spins.factory() as uow:  # a refused attempt keeps its time, and moves no nonce
        await uow.play_time.save(replace(start.clock, active_seconds=start.clock.active_seconds + 5))
        await uow.commit()
    settlement, outcome = _slot_settlement(user_id, 10, str(uuid.uuid4()), NOW, start, start.clock, spins.deps)

    with pytest.raises(PlayMoved):
        await spins.sut.settle_at_once(start, settlement, _spin_events(settlement, outcome, 0))

    assert await spins.nonces(user_id) == [0]


async def test_a_stake_not_covered_at_once_writes_nothing(spins: Spins) -> None:
    user_id = await spins.player(coins=15)
    await place_spin(user_id, 10, spins.deps)
    balance = await spins.balance(user_id)
    start = await _peeked(spins, user_id)
    settlement, outcome = _slot_settlement(user_id, balance + 1, str(uuid.uuid4()), NOW, start, start.clock, spins.deps)

    with pytest.raises(InsufficientFunds):
        await spins.sut.settle_at_once(start, settlement, _spin_events(settlement, outcome, 0))

    assert await spins.nonces(user_id) == [0]
    assert await spins.balance(user_id) == balance
    async with spins.factory() as uow:
        assert (await uow.seeds.active(user_id)).nonce == 1  # type: ignore[union-attr]


async def test_concurrent_spins_of_one_player_all_settle_at_distinct_nonces_and_balances(spins: Spins) -> None:
    """Each moved play is drawn again (or queues after a few draws): every spin settles once, each at its own
    nonce, and the ledger's chain and the events' balances agree with the wallet."""
    user_id = await spins.player(coins=100_000)
    first = await place_spin(user_id, 10, spins.deps)
    spins.clock.advance(1)

    results = await asyncio.gather(*(place_spin(user_id, 10, spins.deps) for _ in range(12)))

    assert await spins.nonces(user_id) == list(range(13))
    ledger = await spins.rows("SELECT delta, balance_after FROM ledger_entries WHERE user_id = $1 ORDER BY id", user_id)
    chain = 0
    for row in ledger:
        chain += row["delta"]
        assert row["balance_after"] == chain
    assert chain == await spins.balance(user_id)
    changes = await spins.rows(
        "SELECT payload FROM outbox WHERE aggregate_id = $1 AND event_type = 'BalanceChanged'", user_id
    )
    balances = sorted(json.loads(row["payload"])["balance_after"] for row in changes)
    assert sorted(result.balance_after for result in [first, *results]) == balances
    assert len({result.spin_id for result in results}) == 12


async def test_concurrent_spins_of_one_player_in_one_process_take_turns_and_none_is_refused(spins: Spins) -> None:
    """A spin that comes while another of its player's is in flight waits for its turn holding no connection, and
    starts from what the one before settled: one statement each, none refused by the guard and drawn again."""
    user_id = await spins.player(coins=100_000)
    for _ in range(2):  # the transaction, then a spin settled at once: the next start is known
        await place_spin(user_id, 10, spins.deps)

    with instrumented():
        sent = await counted(lambda: asyncio.gather(*(place_spin(user_id, 10, spins.deps) for _ in range(12))))

    assert sent["statements"] == 12
    assert await spins.nonces(user_id) == list(range(14))
    assert len(spins.deps.turns) == 0  # every turn ended


async def test_the_next_spin_starts_from_what_the_last_one_settled_in_one_statement(spins: Spins) -> None:
    user_id = await spins.player()
    await place_spin(user_id, 10, spins.deps)  # the transaction
    await place_spin(user_id, 10, spins.deps)  # read and settled at once: its successor's start is known

    with instrumented():
        sent = await counted(lambda: place_spin(user_id, 10, spins.deps))

    assert sent["statements"] == 1
    assert await spins.nonces(user_id) == [0, 1, 2]
    start = await _peeked(spins, user_id)  # taken from what was kept: as the database has it
    async with spins.factory() as uow:
        stored = await uow.plays.peek_play(user_id, GameType.SLOT)
    assert stored is not None
    assert (start.state, start.seeds, start.clock) == (stored.state, stored.seeds, stored.clock)


async def test_a_start_another_process_moved_costs_one_statement_and_the_spin_settles(spins: Spins) -> None:
    user_id = await spins.player()
    other = replace(spins.deps, at_once=PgPlaysAtOnce(spins.pool))  # another process: its own kept starts
    for deps in (spins.deps, spins.deps, other):  # the last moves the start this process keeps
        await place_spin(user_id, 10, deps)

    with instrumented():
        sent = await counted(lambda: place_spin(user_id, 10, spins.deps))

    assert sent["statements"] == 2  # refused by the guard (nothing written, the start as it is now), then settled
    assert await spins.nonces(user_id) == [0, 1, 2, 3]


async def test_a_time_out_taken_after_a_start_was_kept_refuses_the_next_spin(spins: Spins) -> None:
    user_id = await spins.player()
    for _ in range(2):
        await place_spin(user_id, 10, spins.deps)
    async with spins.factory() as uow:
        limits = await uow.limits.lock(user_id)
        limits.restriction = Restriction(RestrictionKind.TIME_OUT, NOW + timedelta(days=1))
        await uow.limits.save(limits)
        await uow.commit()

    with pytest.raises(TimedOut):
        await place_spin(user_id, 10, spins.deps)

    assert await spins.nonces(user_id) == [0, 1]


async def test_odds_changed_after_a_start_was_kept_are_the_next_spins(spins: Spins) -> None:
    user_id = await spins.player()
    for _ in range(2):
        await place_spin(user_id, 10, spins.deps)
    async with spins.factory() as uow:
        version = await uow.game_configs.save(GameType.SLOT, DEFAULT_SLOT_CONFIG.to_dict(), user_id, NOW)
        await uow.commit()

    await place_spin(user_id, 10, spins.deps)

    rows = await spins.rows("SELECT config_version FROM game_history WHERE user_id = $1 ORDER BY nonce", user_id)
    assert [row["config_version"] for row in rows] == [0, 0, version]
