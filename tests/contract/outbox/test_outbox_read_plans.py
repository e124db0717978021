"""The relay's and the exporter's backlog reads on PostgreSQL are ordered index scans that stop at their limit, on a
table never analyzed (a fresh database) and on an analyzed one: never a bitmap of the whole backlog and its dead
entries followed by a sort (what the planner chose for the plain queries on a fresh database).

The plans of the functions' own queries are caught with auto_explain's nested statements, sent to this session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from tests.support.databases import DatabaseReaper, create_database

pytestmark = pytest.mark.asyncio

ROWS = 600
# function → (its limit, the index its ordered scan must use)
READS = {
    "outbox_unpublished": (100, "ix_outbox_published_at_position"),
    "outbox_unexported": (100, "ix_outbox_unexported"),
}


@pytest.fixture
def fresh_url(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    """A database of its own: its outbox is never analyzed unless the test does it."""
    name, url = asyncio.run(create_database(template=migrated_template))
    yield url.replace("postgresql+asyncpg://", "postgresql://")
    database_reaper.drop(name)


@pytest.fixture
async def connection(fresh_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(fresh_url)
    try:
        # a backlog behind rows marked once (relay) and twice (exporter): their old versions stay in the indexes
        await connection.execute(
            "INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload, created_at) "
            "SELECT md5(g::text), 'Pinged', 'probe', 'p', '{}'::jsonb, now() FROM generate_series(1, $1) g",
            ROWS,
        )
        await connection.execute("UPDATE outbox SET published_at = now() WHERE position <= $1", ROWS * 2 // 3)
        await connection.execute("UPDATE outbox SET exported_at = now() WHERE position <= $1", ROWS // 3)
        yield connection
    finally:
        await connection.close()


async def _nested_plans(connection: asyncpg.Connection, function: str, limit: int) -> list[dict[str, Any]]:
    plans: list[dict[str, Any]] = []

    def listen(_: object, message: asyncpg.PostgresLogMessage) -> None:
        text = message.message
        if "Query Text" in text:
            plans.append(json.loads(text[text.index("{") :]))

    connection.add_log_listener(listen)
    try:
        async with connection.transaction():
            await connection.execute("LOAD 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_format = json"):
                await connection.execute(f"SET LOCAL auto_explain.{setting}")
            await connection.execute("SET LOCAL client_min_messages = log")
            rows = await connection.fetch(f"SELECT position FROM {function}($1)", limit)  # noqa: S608 (a constant)
    finally:
        connection.remove_log_listener(listen)
    assert len(rows) == limit
    return [plan for plan in plans if "FROM outbox WHERE" in plan["Query Text"]]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _assert_ordered_scans(connection: asyncpg.Connection) -> None:
    for function, (limit, index) in READS.items():
        [plan] = await _nested_plans(connection, function, limit)
        nodes = list(_nodes(plan["Plan"]))
        assert [node["Node Type"] for node in nodes] == ["Limit", "Index Scan"], (function, nodes)
        assert nodes[1]["Index Name"] == index


async def test_the_backlog_reads_are_ordered_index_scans_on_a_table_never_analyzed(
    connection: asyncpg.Connection,
) -> None:
    assert await connection.fetchval("SELECT reltuples FROM pg_class WHERE relname = 'outbox'") < 0

    await _assert_ordered_scans(connection)


async def test_the_backlog_reads_are_ordered_index_scans_on_an_analyzed_table(connection: asyncpg.Connection) -> None:
    await connection.execute("ANALYZE outbox")

    await _assert_ordered_scans(connection)


async def test_the_backlog_reads_return_the_oldest_pending_rows_in_position_order(
    connection: asyncpg.Connection,
) -> None:
    unpublished = [row["position"] for row in await connection.fetch("SELECT position FROM outbox_unpublished(50)")]
    unexported = [row["position"] for row in await connection.fetch("SELECT position FROM outbox_unexported(50)")]

    first_unpublished = ROWS * 2 // 3 + 1
    first_unexported = ROWS // 3 + 1
    assert unpublished == list(range(first_unpublished, first_unpublished + 50))
    assert unexported == list(range(first_unexported, first_unexported + 50))
