"""The games repositories share the wallet's unit of work, opened as in the wallet contract.

PostgreSQL is a database of this suite's own: `game_configs` holds one row per game type, which no per-test
id can keep apart, and other suites on the session database must not play with the configs saved here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.contract.wallet.conftest import UnitOfWorkFactory, open_adapter, sqlite_template
from tests.support.databases import DatabaseReaper, create_database

__all__ = ["games_pg_url", "sqlite_template", "uow_factory"]


@pytest.fixture(scope="session")
def games_pg_url(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    name, url = asyncio.run(create_database("cc_games", template=migrated_template))
    try:
        yield url
    finally:
        database_reaper.drop(name)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, games_pg_url: str
) -> AsyncIterator[UnitOfWorkFactory]:
    async with open_adapter(request.param, sqlite_template, tmp_path, games_pg_url) as adapter:
        yield adapter.uow_factory
