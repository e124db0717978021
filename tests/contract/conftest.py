"""Fixtures the contract suites share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from src.adapters.sqla.database import SqlaDatabase


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[SqlaDatabase]:
    """The engine of this test's PostgreSQL database, disposed of afterwards."""
    database = SqlaDatabase(pg_url)
    try:
        yield database
    finally:
        await database.dispose()
