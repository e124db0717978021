"""The spin's settlement on PostgreSQL: one statement, one round trip, owned by the wallet.

The contract suite shows that every adapter settles alike; this shows what only PostgreSQL promises: the wallet's
wager (pg_wallet) carries the play's writes, so the whole settlement is the one statement the database sees.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.pg_plays import PgPlaysAtOnce
from src.adapters.sqla.repositories.pg_wallet import Rider
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.games.deps import GamesDeps
from src.application.games.plays import place_spin
from src.application.games.ports import HistoryQuery, Settlement
from src.domain.games.play import GameType, PlayRecord
from src.domain.wallet.model import Currency, Movement, Wager
from tests.contract.wallet.conftest import given_user
from tests.support.clocks import FakeClock
from tests.support.databases import DatabaseReaper, create_database
from tests.support.fairness import TEST_VAULT, candidate_for
from tests.support.round_trips import statements_sent

PgUnitOfWorkFactory = Callable[[], SqlaUnitOfWork]

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
async def uow_factory(games_pg_url: str) -> AsyncIterator[PgUnitOfWorkFactory]:
    database = SqlaDatabase(games_pg_url)
    try:
        yield lambda: SqlaUnitOfWork(database.session_factory)
    finally:
        await database.dispose()


def _spin(user_id: str, payout: int) -> PlayRecord:
    return PlayRecord(
        id=str(uuid.uuid4()),
        user_id=user_id,
        game_type=GameType.SLOT,
        action="spin",
        bet=100,
        payout=payout,
        delta_coins=payout - 100,
        delta_gems=0,
        won=payout > 0,
        created_at=NOW,
        result_meta={"reels": ["seven", "seven", "seven"], "outcome": "win" if payout else "lose"},
    )


@pytest.mark.parametrize("payout", [600, 0], ids=["win", "loss"])
async def test_a_spin_settles_in_one_statement_sent_by_the_wallet(
    uow_factory: PgUnitOfWorkFactory, payout: int
) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, Currency.COINS, 1000, "seed"), NOW)
        await uow.commit()
    play = _spin(user_id, payout)

    async with uow_factory() as sut:
        state = (await sut.plays.begin_play(user_id, GameType.SLOT, candidate_for(user_id))).state
        settlement = Settlement(
            state=state,
            play=play,
            currency=Currency.COINS,
            stake=100,
            payout=payout,
            stake_reason="slot_bet",
            payout_reason="slot_win",
            ref_type="spin",
        )
        with statements_sent() as sent:
            balance_after = await sut.plays.settle(settlement)
        await sut.commit()

    assert len(sent) == 1
    assert "UPDATE wallets" in sent[0]
    assert "INSERT INTO game_history" in sent[0]
    assert balance_after == 900 + payout
    async with uow_factory() as uow:
        assert (await uow.plays.history(HistoryQuery(user_id), 10, None)).items == [play]
        assert len((await uow.wallets.ledger(user_id, 10, None)).items) == (3 if payout else 2)


async def test_a_rider_may_not_use_the_wallets_placeholders(uow_factory: PgUnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    wager = Wager(Movement(user_id, Currency.COINS, 10, "slot_bet", "spin", str(uuid.uuid4())), 0, "slot_win")

    async with uow_factory() as sut:
        with pytest.raises(ValueError, match=r"start at \$10"):
            await sut.wallets.settle_wager(wager, NOW, Rider("sneaky AS (SELECT $1 FROM wallet)", ()))


async def test_a_whole_spin_is_three_statements_seed_pair_and_nonce_included(
    migrated_template: str, database_reaper: DatabaseReaper
) -> None:
    """In its transaction (a player's first spin: test_pg_spin_at_once shows the others): begin (state, seed pair,
    config), settle (money, history, stats, state, next nonce), the outbox insert, after the read that found no
    state to settle at once from.

    On a database of its own: the suite's games database holds the contract tests' placeholder odds."""
    name, url = await create_database("cc_spin", template=migrated_template)
    database = SqlaDatabase(url)
    pool = DriverPool(database.connect_driver, size=1, timeout=10)
    try:
        factory = lambda: SqlaUnitOfWork(database.session_factory)  # noqa: E731 - the deps take a factory
        user_id = await given_user(factory)
        async with factory() as uow:
            await uow.wallets.credit(Movement(user_id, Currency.COINS, 1000, "seed"), NOW)
            await uow.commit()
        at_once = PgPlaysAtOnce(pool)
        deps = GamesDeps(
            factory, FakeClock(NOW), SecretsIdGenerator(), TEST_VAULT, InMemoryLeaderboard(), at_once=at_once
        )
        with statements_sent() as sent:
            await place_spin(user_id, 10, deps)
        async with factory() as uow:
            seeds = await uow.seeds.active(user_id)
    finally:
        await pool.close()
        await database.dispose()
        database_reaper.drop(name)  # in the background: a DROP DATABASE waits for a checkpoint

    peek, *statements = sent
    assert "FROM player_game_state" in peek
    assert "INSERT" not in peek
    assert len(statements) == 3, sent
    assert ["fairness_seeds" in s for s in statements] == [True, True, False]
    assert ["outbox" in s for s in statements] == [False, False, True]
    assert seeds is not None
    assert seeds.nonce == 1
