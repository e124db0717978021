"""The relay's and the exporter's backlog reads on PostgreSQL are ordered index scans that stop at their limit, on a
table never analyzed (a fresh database) and on an analyzed one: never a bitmap of the whole backlog and its dead
entries followed by a sort (what the planner chose for the plain queries on a fresh database). The check a relay
pass makes before the exporter takes it reads the exporter's lag index, never the whole table.

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
LIMIT = 100
# function → the statement calling it, and the indexes its plan must read (ordered scans, nothing else)
READS = {
    "outbox_unpublished": (
        "SELECT position FROM outbox_unpublished($1)",
        {"ix_outbox_published_at_position"},
    ),
    "outbox_unexported": (
        "SELECT position FROM outbox_unexported($1) ORDER BY position LIMIT $1",
        {"ix_outbox_published_at_position", "ix_outbox_export_lag"},
    ),
    "outbox_pending_export": (
        "SELECT unnest(coalesce(outbox_pending_export(array(SELECT generate_series(1, $1::bigint))), "
        "array(SELECT generate_series(1, $1::bigint))))",
        {"ix_outbox_export_lag", "pk_outbox"},
    ),
}
UNWANTED = {"Seq Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Sort"}


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


async def _nested_plans(connection: asyncpg.Connection, function: str) -> list[dict[str, Any]]:
    plans: list[dict[str, Any]] = []

    def listen(_: object, message: asyncpg.PostgresLogMessage) -> None:
        text = message.message
        if "Query Text" in text:
            plans.append(json.loads(text[text.index("{") :]))

    call, _ = READS[function]
    connection.add_log_listener(listen)
    try:
        async with connection.transaction():
            await connection.execute("LOAD 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_format = json"):
                await connection.execute(f"SET LOCAL auto_explain.{setting}")
            await connection.execute("SET LOCAL client_min_messages = log")
            rows = await connection.fetch(call, LIMIT)
    finally:
        connection.remove_log_listener(listen)
    assert len(rows) == LIMIT
    return [plan for plan in plans if "FROM outbox WHERE" in plan["Query Text"]]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _assert_ordered_scans(connection: asyncpg.Connection) -> None:
    for function, (_, indexes) in READS.items():
        [plan] = await _nested_plans(connection, function)
        nodes = list(_nodes(plan["Plan"]))
        assert not {node["Node Type"] for node in nodes} & UNWANTED, (function, nodes)
        assert {node["Index Name"] for node in nodes if "Index Name" in node} == indexes, (function, nodes)


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
    unexported = [
        row["position"]
        for row in await connection.fetch("SELECT position FROM outbox_unexported(50) ORDER BY position LIMIT 50")
    ]

    first_unpublished = ROWS * 2 // 3 + 1
    first_unexported = ROWS // 3 + 1
    assert unpublished == list(range(first_unpublished, first_unpublished + 50))
    assert unexported == list(range(first_unexported, first_unexported + 50))
