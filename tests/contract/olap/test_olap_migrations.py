"""The OLAP schema's versioned migrations on chDB: applied in order, once, recorded; a new one alone is applied.

Each test works in a database of its own on the session's store (chDB opens one directory per process).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from src.adapters.clickhouse.migrations import LOG, MIGRATIONS, OlapMigration, applied_versions, upgrade
from src.adapters.clickhouse.olap import ClickHouseOlap


@pytest_asyncio.fixture
async def sut(olap_dsn: str) -> AsyncIterator[ClickHouseOlap]:
    database = f"migrations_{uuid.uuid4().hex[:12]}"
    setup = ClickHouseOlap(olap_dsn)
    await setup.start()
    await setup.execute(f"CREATE DATABASE {database}")
    await setup.close()
    store = ClickHouseOlap(f"{olap_dsn}?database={database}")
    await store.start()
    try:
        yield store
    finally:
        await store.execute(f"DROP DATABASE IF EXISTS {database}")
        await store.close()


async def test_every_migration_is_applied_once_and_recorded(sut: ClickHouseOlap) -> None:
    first = await upgrade(sut)
    second = await upgrade(sut)

    assert [m.version for m in first] == [m.version for m in MIGRATIONS]
    assert second == []
    assert await applied_versions(sut) == {m.version for m in MIGRATIONS}
    tables = {
        row["name"] for row in await sut.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
    }
    assert {"events", "ledger_movements", LOG} <= tables


async def test_a_new_migration_alone_is_applied_on_top(sut: ClickHouseOlap) -> None:
    await upgrade(sut)
    added = OlapMigration(
        MIGRATIONS[-1].version + 1, "a column", ("ALTER TABLE events ADD COLUMN IF NOT EXISTS note String DEFAULT ''",)
    )

    applied = await upgrade(sut, (*MIGRATIONS, added))

    assert applied == [added]
    columns = await sut.query("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'")
    assert "note" in {row["name"] for row in columns}
