"""A checkout that waits out the pool's timeout is an overloaded database: DependencyUnavailable (503 with
Retry-After), not SQLAlchemy's TimeoutError (which answered 500 to a thousand players in `--only mixed`)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from src.adapters.sqla.database import BusyAwarePool, SqlaDatabase
from src.adapters.sqla.driver import pooled_fetch
from src.application.shared.errors import DependencyUnavailable
from tests.support.polling import eventually


async def test_a_checkout_that_waits_out_the_pool_timeout_is_dependency_unavailable(pg_url: str) -> None:
    sut = SqlaDatabase(pg_url, pool_size=1, pool_timeout=1)
    try:
        async with sut.session_factory() as holder:
            await holder.execute(text("SELECT 1"))  # the pool's one connection stays checked out

            with pytest.raises(DependencyUnavailable) as through_a_session:
                async with sut.session_factory() as session:
                    await session.execute(text("SELECT 1"))
            with pytest.raises(DependencyUnavailable) as through_the_driver:
                await pooled_fetch(sut.engine, "SELECT 1")

        assert through_a_session.value.reason == through_the_driver.value.reason == "TimeoutError"
        assert [tuple(row) for row in await pooled_fetch(sut.engine, "SELECT 1")] == [(1,)]  # free again
    finally:
        await sut.dispose()


async def test_a_checkout_past_the_waiting_bound_is_refused_at_once_and_the_waiting_ones_still_get_a_connection(
    pg_url: str,
) -> None:
    sut = SqlaDatabase(pg_url, pool_size=1, pool_timeout=30, pool_max_waiting=2)
    release = asyncio.Event()

    async def hold() -> None:
        async with sut.session_factory() as session:
            await session.execute(text("SELECT 1"))
            await release.wait()

    async def wait_then_read() -> int:
        async with sut.session_factory() as session:
            return int((await session.execute(text("SELECT 2"))).scalar_one())

    try:
        holder = asyncio.create_task(hold())
        await eventually(lambda: _pool_shows(sut, checked_out=1))
        waiting = [asyncio.create_task(wait_then_read()) for _ in range(2)]
        await eventually(lambda: _pool_shows(sut, checked_out=1, waiting=2))

        began = time.monotonic()
        with pytest.raises(DependencyUnavailable) as shed:
            await pooled_fetch(sut.engine, "SELECT 3")
        refused_after = time.monotonic() - began

        release.set()
        await holder
        assert await asyncio.gather(*waiting) == [2, 2]  # the two within the bound were served, in turn
        assert shed.value.reason == "PoolQueueFull"
        assert refused_after < 5  # refused without waiting out the 30 s timeout
        assert [tuple(row) for row in await pooled_fetch(sut.engine, "SELECT 1")] == [(1,)]
    finally:
        release.set()
        await sut.dispose()


async def _pool_shows(database: SqlaDatabase, checked_out: int, waiting: int = 0) -> bool:
    pool = database.engine.pool
    assert isinstance(pool, BusyAwarePool)
    return (pool.checkedout(), pool.waiting) == (checked_out, waiting)
