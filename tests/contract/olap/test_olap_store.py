"""Contract of the OlapStore port on ClickHouseOlap over chDB (the real ClickHouse engine, in process).

chDB opens one directory per process, so these tests use the session's store (`olap_dsn`), each in a table of
its own that it drops at the end. A ClickHouse server behind an HTTP DSN runs the same adapter code; only the
connection differs. The last test is the adapter's own: a connection-level driver error is DependencyUnavailable.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
import pytest_asyncio
from clickhouse_connect.driver.exceptions import OperationalError

from src.adapters.clickhouse.olap import ClickHouseOlap
from src.application.analytics.ports import OlapStore
from src.application.shared.errors import DependencyUnavailable

AT = datetime(2026, 12, 1, 9, 30, 15, 250000, tzinfo=UTC)
COLUMNS = ["event_id", "user_id", "amount", "occurred_at"]


@pytest_asyncio.fixture
async def sut(olap_dsn: str) -> AsyncIterator[ClickHouseOlap]:
    store = ClickHouseOlap(olap_dsn)
    await store.start()
    try:
        yield store
    finally:
        await store.close()


@pytest_asyncio.fixture
async def table(sut: OlapStore) -> AsyncIterator[str]:
    name = f"contract_events_{uuid.uuid4().hex[:12]}"
    await sut.execute(
        f"CREATE TABLE {name} (event_id String, user_id String, amount Int64, occurred_at DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY (user_id, event_id)"
    )
    try:
        yield name
    finally:
        await sut.execute(f"DROP TABLE IF EXISTS {name}")


async def test_ping_answers_when_the_store_is_open(sut: OlapStore) -> None:
    await sut.ping()


async def test_inserted_rows_are_read_back_by_a_query_keyed_by_column(sut: OlapStore, table: str) -> None:
    rows = [("e1", "u1", 100, AT), ("e2", "u2", -40, AT), ("e3", "u1", 7, AT)]

    written = await sut.insert(table, COLUMNS, rows)
    found = await sut.query("SELECT * FROM {t:Identifier} ORDER BY event_id", {"t": table})

    assert written == 3
    assert [(r["event_id"], r["user_id"], r["amount"]) for r in found] == [(e, u, a) for e, u, a, _ in rows]
    assert {_utc(r["occurred_at"]) for r in found} == {AT.replace(microsecond=250000)}


async def test_a_query_binds_its_parameters_and_aggregates(sut: OlapStore, table: str) -> None:
    await sut.insert(table, COLUMNS, [("e1", "u1", 100, AT), ("e2", "u2", -40, AT), ("e3", "u1", 7, AT)])

    found = await sut.query(
        "SELECT user_id, sum(amount) AS total, count() AS plays FROM {t:Identifier} "
        "WHERE user_id = {user:String} GROUP BY user_id",
        {"t": table, "user": "u1"},
    )

    assert found == [{"user_id": "u1", "total": 107, "plays": 2}]


async def test_batches_append_and_an_empty_batch_writes_nothing(sut: OlapStore, table: str) -> None:
    assert await sut.insert(table, COLUMNS, []) == 0
    for batch in range(3):
        await sut.insert(table, COLUMNS, [(f"b{batch}-{n}", "u1", n, AT) for n in range(50)])

    [counted] = await sut.query("SELECT count() AS n, uniqExact(event_id) AS ids FROM {t:Identifier}", {"t": table})

    assert counted == {"n": 150, "ids": 150}


async def test_delete_player_removes_their_rows_from_every_table_with_a_player_id(sut: OlapStore) -> None:
    tables = [f"contract_players_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in tables:
        await sut.execute(
            f"CREATE TABLE {name} (event_id String, player_id String, amount Int64) "
            "ENGINE = ReplacingMergeTree ORDER BY event_id"
        )
    try:
        for name in tables:
            await sut.insert(
                name, ["event_id", "player_id", "amount"], [("e1", "p1", 5), ("e2", "p2", 7), ("e3", "p1", 1)]
            )

        await sut.delete_player("p1")

        for name in tables:
            left = await sut.query(
                "SELECT event_id, player_id FROM {t:Identifier} FINAL ORDER BY event_id", {"t": name}
            )
            assert left == [{"event_id": "e2", "player_id": "p2"}]
    finally:
        for name in tables:
            await sut.execute(f"DROP TABLE IF EXISTS {name}")


async def test_delete_player_of_a_player_without_rows_changes_nothing(sut: OlapStore, table: str) -> None:
    await sut.insert(table, COLUMNS, [("e1", "u1", 100, AT)])

    await sut.delete_player("nobody")

    [counted] = await sut.query("SELECT count() AS n FROM {t:Identifier}", {"t": table})
    assert counted == {"n": 1}


async def test_a_connection_level_driver_error_is_dependency_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unreachable:
        def __getattr__(self, name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> Any:
                raise OperationalError("HTTPConnectionPool(host='olap.internal', port=8123): Max retries exceeded")

            return fail

    monkeypatch.setattr(clickhouse_connect, "get_client", lambda **options: Unreachable())
    store = ClickHouseOlap("http://olap.internal:8123")
    await store.start()

    for call in (store.ping(), store.query("SELECT 1"), store.insert("t", ["a"], [(1,)]), store.execute("SELECT 1")):
        with pytest.raises(DependencyUnavailable) as outage:
            await call
        assert "olap.internal" not in str(outage.value)
        assert outage.value.reason == "OperationalError"


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


FRESH_PROCESS = """
import asyncio, sys, uuid
from datetime import UTC, datetime
from src.adapters.clickhouse.migrations import upgrade
from src.adapters.clickhouse.olap import ClickHouseOlap
from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.writer import OlapEventWriter

def event(kind, payload):
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return AnalyticsEvent(str(uuid.uuid4()), kind, 1, at, "p1", "user", "p1", payload)

async def main():
    store = ClickHouseOlap(sys.argv[1])
    await store.start()
    await upgrade(store)
    await OlapEventWriter(store).publish([
        event("UserSignedUp", {"site_id": "x"}),
        event("BalanceChanged", {"currency": "coins", "reason": "signup_bonus", "delta": 1000, "ref_type": "user",
                                 "ref_id": "p1", "balance_after": 1000}),
        event("GachaPulled", {"rarities": ["Rare", "Epic"], "client_ts": "2026-12-01T09:29:59+00:00"}),
    ])
    found = await store.query("SELECT event_type, rarities, client_ts FROM events ORDER BY event_type")
    movements = await store.query("SELECT delta FROM ledger_movements")
    await store.close()
    print([(r["event_type"], r["rarities"], str(r["client_ts"])) for r in found], movements)
    print(sorted(name for name in ("pandas", "numpy", "pyarrow") if name in sys.modules))

asyncio.run(main())
"""


def test_a_process_opens_the_store_and_writes_events_without_importing_pandas_numpy_or_pyarrow(
    tmp_path: Path,
) -> None:
    """Our rows are Python lists: clickhouse-connect's DataFrame check and chDB's Arrow formats need none of
    them, and importing them cost a process ~0.55 s of CPU at the store's first open and insert."""
    run = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, f"chdb:///{tmp_path}/olap"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    rows, loaded = run.stdout.strip().splitlines()[-2:]
    assert rows == (
        "[('BalanceChanged', [], 'None'), ('GachaPulled', ['Rare', 'Epic'], '2026-12-01 09:29:59'), "
        "('UserSignedUp', [], 'None')] [{'delta': 1000}]"
    )
    assert loaded == "[]"
