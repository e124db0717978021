"""Fixtures for the wallet contract, and the adapters the games and outbox contracts open the same way.

`uow_factory` makes a new unit of work on the adapter under test (ids "memory", "sqlite", "postgres"; a test may
ask for "postgres-standalone" too: PostgreSQL with a driver pool for the statements that stand alone).
SQLite gets a fresh migrated file per test; PostgreSQL shares the session's migrated database (`pg_url`),
so every test makes its own users (uuid4 ids) and never assumes a table is empty.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from src.adapters.memory.outbox import InMemoryOutboxStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.shared.outbox import OutboxStore
from src.domain.identity.model import User

UnitOfWorkFactory = Callable[[], InMemoryUnitOfWork | SqlaUnitOfWork]

CREATED = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Adapter:
    """Units of work on one store, and the relay's view of that store's outbox."""

    uow_factory: UnitOfWorkFactory
    outbox: OutboxStore


@pytest.fixture(scope="session")
def sqlite_template(session_tmp: Path) -> Path:
    """Migrated once (the games and outbox contracts import this fixture too); each test copies the file."""
    path = session_tmp / "wallet-contract-template.db"
    if not path.exists():
        migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def database_url(kind: str, sqlite_template: Path, tmp_path: Path, postgres_url: str) -> str:
    """SQLite: a fresh copy of the migrated template in `tmp_path`; PostgreSQL (either kind): the database given."""
    if kind != "sqlite":
        return postgres_url
    shutil.copyfile(sqlite_template, tmp_path / "x.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"


@asynccontextmanager
async def open_adapter(kind: str, sqlite_template: Path, tmp_path: Path, postgres_url: str) -> AsyncIterator[Adapter]:
    if kind == "memory":
        store = InMemoryStore()
        yield Adapter(lambda: InMemoryUnitOfWork(store), InMemoryOutboxStore(store))
        return
    database = SqlaDatabase(database_url(kind, sqlite_template, tmp_path, postgres_url))
    # "postgres-standalone": units of work whose statements that stand alone go to a driver pool (as a buy's)
    pool = DriverPool(database.connect_driver, size=2, timeout=10) if kind == "postgres-standalone" else None
    try:
        yield Adapter(
            lambda: SqlaUnitOfWork(database.session_factory, standalone=pool),
            SqlaOutboxStore(database.session_factory),
        )
    finally:
        if pool is not None:
            await pool.close()
        await database.dispose()


# Both databases are requested for every adapter: their session fixtures run asyncio.run, which cannot be
# called lazily (getfixturevalue) from inside this async fixture's running loop.
@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[UnitOfWorkFactory]:
    async with open_adapter(request.param, sqlite_template, tmp_path, pg_url) as adapter:
        yield adapter.uow_factory


async def given_user(uow_factory: UnitOfWorkFactory) -> str:
    """A committed user (wallets, game rows and inventory reference users); returns its id."""
    key = uuid.uuid4().hex
    user = User(
        id=str(uuid.uuid4()),
        site_id=f"u_{key[:20]}",
        nickname=f"Nick{key[:12]}",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        created_at=CREATED,
    )
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user.id
