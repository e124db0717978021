"""A task cancelled in the middle of a PostgreSQL statement is cancelled: the outage translation leaves it alone.

SQLAlchemy reports a cancelled statement as a disconnect (the connection's state is unknown), which once made
it a DependencyUnavailable: the relay then logged an outage and kept running, and every shutdown waited 10 s.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from src.adapters.sqla.database import SqlaDatabase
from tests.support.polling import eventually


async def test_a_cancelled_statement_raises_cancelled_error_and_the_pool_recovers(pg_url: str) -> None:
    database = SqlaDatabase(pg_url)

    async def sleep_in_the_database() -> None:
        async with database.session_factory() as session:
            await session.execute(text("SELECT pg_sleep(5)"))

    try:
        task = asyncio.create_task(sleep_in_the_database())
        await eventually(lambda: _running(database, "SELECT pg_sleep(5)"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with database.session_factory() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await database.dispose()


async def _running(database: SqlaDatabase, statement: str) -> bool:
    """The statement is running on another connection of this database."""
    async with database.session_factory() as session:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND state = 'active' AND query = :statement"
        )
        return bool((await session.execute(query, {"statement": statement})).scalar_one())
