"""BalanceReads, the wallet view's read apart from any unit of work: through a unit of work of its own on every
store, and on PostgreSQL on a driver connection of its own pool, without a session. Both see committed balances
only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.pg_wallet import PgBalanceReads
from src.application.wallet.ports import BalanceReads, BalancesInUnitOfWork
from src.domain.wallet.model import Currency, Movement
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user, open_adapter

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Reads:
    uow_factory: UnitOfWorkFactory
    sut: BalanceReads
    pool: DriverPool | None = None  # the pooled reader's own pool, to look at


@pytest.fixture(params=["memory", "sqlite", "postgres", "postgres-pooled"])
async def reads(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[Reads]:
    kind = str(request.param)
    async with open_adapter(kind.removesuffix("-pooled"), sqlite_template, tmp_path, pg_url) as adapter:
        if kind != "postgres-pooled":
            yield Reads(adapter.uow_factory, BalancesInUnitOfWork(adapter.uow_factory))
            return
        database = SqlaDatabase(pg_url)
        pool = DriverPool(database.connect_driver, size=2, timeout=10)
        try:
            yield Reads(adapter.uow_factory, PgBalanceReads(pool), pool)
        finally:
            await pool.close()
            await database.dispose()


async def _credit(reads: Reads, user_id: str, amount: int, *, commit: bool = True) -> None:
    async with reads.uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, Currency.GEMS, amount, "grant", "test", f"{user_id}-{amount}"), NOW)
        if commit:
            await uow.commit()


async def test_committed_balances_are_read_and_an_unknown_player_has_none(reads: Reads) -> None:
    user_id = await given_user(reads.uow_factory)
    await _credit(reads, user_id, 40)

    assert await reads.sut.balances(user_id) == {Currency.GEMS: 40}
    assert await reads.sut.balances("no-such-player") == {}


# SQLite takes its write lock at BEGIN (IMMEDIATE), so there a read waits for the open writer instead
@pytest.mark.parametrize("reads", ["memory", "postgres", "postgres-pooled"], indirect=True)
async def test_a_write_not_yet_committed_elsewhere_is_not_seen(reads: Reads) -> None:
    user_id = await given_user(reads.uow_factory)
    await _credit(reads, user_id, 40)
    async with reads.uow_factory() as writer:
        await writer.wallets.credit(Movement(user_id, Currency.GEMS, 5, "grant", "test", f"{user_id}-open"), NOW)

        during = await reads.sut.balances(user_id)

    assert during == {Currency.GEMS: 40}


async def test_many_reads_at_once_share_the_pool_and_give_every_connection_back(reads: Reads) -> None:
    user_id = await given_user(reads.uow_factory)
    await _credit(reads, user_id, 7)

    answers = await asyncio.gather(*(reads.sut.balances(user_id) for _ in range(20)))

    assert answers == [{Currency.GEMS: 7}] * 20
    if reads.pool is not None:  # more reads than connections: each waited for one, and each was returned
        assert reads.pool.idle_connections() == reads.pool.open_connections() == 2
