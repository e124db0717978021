"""The wallet view's read on PostgreSQL goes straight to the driver: alone it opens no transaction (one round trip),
and after writes in the same unit of work it sees them (it runs in their transaction, on their connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.domain.wallet.model import Currency, Movement
from tests.contract.wallet.conftest import given_user

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
async def uow_factory(pg_url: str) -> AsyncIterator[Callable[[], SqlaUnitOfWork]]:
    database = SqlaDatabase(pg_url)
    try:
        yield lambda: SqlaUnitOfWork(database.session_factory)
    finally:
        await database.dispose()


async def _driver_in_transaction(uow: SqlaUnitOfWork) -> bool:
    raw = await (await uow.session.connection()).get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())  # type: ignore[union-attr]


async def test_a_balance_read_alone_opens_no_transaction(uow_factory: Callable[[], SqlaUnitOfWork]) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, Currency.COINS, 250, "grant", "test", user_id), now=NOW)
        await uow.commit()

    async with uow_factory() as sut:
        balances = await sut.wallets.balances(user_id)
        in_transaction = await _driver_in_transaction(sut)

    assert balances[Currency.COINS] == 250
    assert in_transaction is False


async def test_a_balance_read_after_a_write_sees_the_write_uncommitted(
    uow_factory: Callable[[], SqlaUnitOfWork],
) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as sut:
        await sut.wallets.credit(Movement(user_id, Currency.COINS, 70, "grant", "test", user_id), now=NOW)
        balances = await sut.wallets.balances(user_id)
        await sut.rollback()

    async with uow_factory() as uow:
        after_rollback = await uow.wallets.balances(user_id)

    assert balances[Currency.COINS] == 70
    assert Currency.COINS not in after_rollback or after_rollback[Currency.COINS] == 0
