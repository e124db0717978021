"""Throwaway PostgreSQL databases for tests: created empty, dropped with FORCE afterwards."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tests.support.env import TEST_POSTGRES_URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(prefix: str = "cc_test", template: str | None = None) -> tuple[str, str]:
    """Returns (database name, SQLAlchemy asyncpg URL); a copy of the database `template` when one is named
    (copying a migrated database takes a fraction of a second, migrating one takes seconds)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    connection = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await connection.close()
    return name, _with_database(TEST_POSTGRES_URL, name).replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def execute_sql(dsn: str, statement: str, *arguments: object) -> None:
    """One statement on a plain asyncpg connection (tests that corrupt or inspect rows behind the app's back)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()
