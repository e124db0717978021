"""Fixtures for the identity repositories + unit of work contract: memory, SQLite and PostgreSQL.

`uow_factory` makes a new unit of work on the adapter under test (ids "memory", "sqlite", "postgres").
SQLite gets a fresh migrated file per test; PostgreSQL shares the session's migrated database (`pg_url`),
so every test writes unique ids and never assumes a table is empty.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.models.outbox import OutboxRow
from src.adapters.sqla.uow import SqlaUnitOfWork

UnitOfWorkFactory = Callable[[], InMemoryUnitOfWork | SqlaUnitOfWork]
ReadOutbox = Callable[[str], Awaitable[list[tuple[str, str, str]]]]


@pytest.fixture(scope="session")
def sqlite_template(session_tmp: Path) -> Path:
    """Migrated once; each test copies it, which is much faster than migrating again."""
    path = session_tmp / "identity-contract-template.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _sqlite_url(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "x.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


# Both databases are requested for every adapter: their session fixtures run asyncio.run, which cannot be
# called lazily (getfixturevalue) from inside this async fixture's running loop.
@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "memory":
        store = InMemoryStore()
        yield lambda: InMemoryUnitOfWork(store)
        return
    database = SqlaDatabase(_sqlite_url(sqlite_template, tmp_path) if request.param == "sqlite" else pg_url)
    try:
        yield lambda: SqlaUnitOfWork(database.session_factory)
    finally:
        await database.dispose()


@pytest.fixture
def read_outbox(uow_factory: UnitOfWorkFactory) -> ReadOutbox:
    """(event_id, event_type, aggregate_id) of the committed outbox entries with this event id."""

    async def read(event_id: str) -> list[tuple[str, str, str]]:
        async with uow_factory() as uow:
            if isinstance(uow, InMemoryUnitOfWork):
                events = [event for event in uow.store.outbox if event.event_id == event_id]
                return [(event.event_id, event.event_type, event.aggregate_id) for event in events]
            statement = select(OutboxRow).where(OutboxRow.event_id == event_id)
            rows = (await uow.session.execute(statement)).scalars().all()
            return [(row.event_id, row.event_type, row.aggregate_id) for row in rows]

    return read
