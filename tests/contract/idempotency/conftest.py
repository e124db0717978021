"""The idempotency store on each adapter (ids "memory", "sqlite", "postgres"), alone or with the units of work that
write records in their own transactions (`keyed_work`).

SQLite gets a fresh copy of the migrated template (the wallet contract's) per test; PostgreSQL is the session's
shared database, so every test claims keys under a user id of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from src.adapters.memory.idempotency import InMemoryIdempotencyStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.idempotency import SqlaIdempotencyStore
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.shared.idempotency import IdempotencyStore
from tests.contract.wallet.conftest import database_url, sqlite_template

__all__ = ["idempotency_store", "keyed_work", "sqlite_template"]


@dataclass(frozen=True)
class KeyedWork:
    """Units of work that add records, and the store that claims, remembers and replays them, on one database."""

    uow_factory: Callable[[], InMemoryUnitOfWork | SqlaUnitOfWork]
    store: IdempotencyStore


# Both databases are requested for every adapter: their session fixtures run asyncio.run, which cannot be
# called lazily (getfixturevalue) from inside this async fixture's running loop.
@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def idempotency_store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[IdempotencyStore]:
    if request.param == "memory":
        yield InMemoryIdempotencyStore()
        return
    database = SqlaDatabase(database_url(request.param, sqlite_template, tmp_path, pg_url))
    try:
        yield SqlaIdempotencyStore(database.session_factory)
    finally:
        await database.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def keyed_work(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[KeyedWork]:
    if request.param == "memory":
        shared = InMemoryStore()
        store = InMemoryIdempotencyStore(shared.idempotency_tables, shared.row_locks)
        yield KeyedWork(lambda: InMemoryUnitOfWork(shared), store)
        return
    database = SqlaDatabase(database_url(request.param, sqlite_template, tmp_path, pg_url))
    try:
        yield KeyedWork(
            lambda: SqlaUnitOfWork(database.session_factory), SqlaIdempotencyStore(database.session_factory)
        )
    finally:
        await database.dispose()
