"""Throwaway PostgreSQL databases for tests: created empty or as a copy of a template, dropped with FORCE."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tests.support.env import TEST_POSTGRES_URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_url(name: str) -> str:
    """The SQLAlchemy asyncpg URL of the test database `name`."""
    return _with_database(TEST_POSTGRES_URL, name).replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database(
    prefix: str = "cc_test", template: str | None = None, name: str | None = None
) -> tuple[str, str]:
    """Returns (database name, SQLAlchemy asyncpg URL); a copy of the database `template` when one is named
    (copying a migrated database takes a fraction of a second, migrating one takes seconds).

    Commits on it do not wait for the WAL to reach the disk (`synchronous_commit = off`): a test database
    never outlives a crash of the server, and a flushed commit costs ~8 ms on this machine's disk.
    """
    name = name or f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    connection = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"{copy}')
        await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await connection.close()
    return name, database_url(name)


async def database_exists(name: str) -> bool:
    connection = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class DatabaseReaper:
    """Drops databases on a thread of its own: a DROP DATABASE waits for a checkpoint (~2 s here), which the
    test that used the database need not wait for. `close` waits until every drop is done."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
        self._drops: list[Future[None]] = []

    def drop(self, name: str) -> None:
        self._drops.append(self._pool.submit(asyncio.run, drop_database(name)))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for drop in self._drops:
            drop.result()  # a drop that failed fails the session's teardown, as it did inline


async def execute_sql(dsn: str, statement: str, *arguments: object) -> None:
    """One statement on a plain asyncpg connection (tests that corrupt or inspect rows behind the app's back)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()
