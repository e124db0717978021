"""A checkout that waits out the pool's timeout is an overloaded database: DependencyUnavailable (503 with
Retry-After), not SQLAlchemy's TimeoutError (which answered 500 to a thousand players in `--only mixed`)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver import pooled_fetch
from src.application.shared.errors import DependencyUnavailable


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
