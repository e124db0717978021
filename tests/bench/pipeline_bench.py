"""The event pipeline on this machine: outbox (PostgreSQL) → exporter → broker (tansu) → consumer group →
OLAP store (chDB). Reports events/s through all of it, and the commit-to-queryable lag (p50/p99) of a steady
stream: from an event's commit to the end of the OLAP insert that holds it.

Runs in a child process (chDB opens one directory per process).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert

from src.adapters.clickhouse.migrations import upgrade
from src.adapters.clickhouse.olap import ClickHouseOlap
from src.adapters.kafka.consumer import KafkaOlapConsumer
from src.adapters.kafka.publisher import KafkaEventSink
from src.adapters.memory.cache import InMemoryCache
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.models.outbox import OutboxRow
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.system.clock import SystemClock
from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.export import OutboxExporter
from src.application.analytics.writer import OlapEventWriter
from tests.bench.backends import throwaway_backends
from tests.support.broker import Broker

BACKLOG = 20_000  # events waiting when the pipeline starts: throughput
STREAM_SECONDS, STREAM_BATCH, STREAM_EVERY = 10.0, 50, 0.05  # then a steady 1000 events/s: lag


def _rows(count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [
        {
            "event_id": uuid.uuid4().hex,
            "event_type": "SpinSettled",
            "aggregate_type": "user",
            "aggregate_id": f"p{n % 500}",
            "payload": {
                "spin_id": uuid.uuid4().hex,
                "bet": 10,
                "payout": 20 * (n % 3 == 0),
                "outcome": "x",
                "streak": 0,
            },
            "created_at": now,
        }
        for n in range(count)
    ]


class Timed:
    """The consumer's writer, noting when each event became queryable."""

    def __init__(self, writer: OlapEventWriter) -> None:
        self._writer = writer
        self.done: dict[str, float] = {}
        self._target = 0
        self._reached = asyncio.Event()

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        await self._writer.publish(events)
        now = time.time()
        for event in events:
            self.done.setdefault(event.event_id, now)
        if len(self.done) >= self._target:
            self._reached.set()

    async def wait_for(self, count: int, deadline: float = 300) -> None:
        self._target = count
        self._reached.clear()
        if len(self.done) < count:
            async with asyncio.timeout(deadline):
                await self._reached.wait()


async def _bench(database_url: str, bootstrap: str, olap_dir: str) -> str:
    database = SqlaDatabase(database_url, pool_size=4)
    olap = ClickHouseOlap(f"chdb://{olap_dir}")
    await olap.start()
    await upgrade(olap)
    sink = KafkaEventSink(bootstrap, "bench-events", idempotent=False)
    timed = Timed(OlapEventWriter(olap))
    exporter = OutboxExporter(SqlaOutboxStore(database.session_factory), sink, InMemoryCache(), SystemClock(), 2000)
    consumer = KafkaOlapConsumer(bootstrap, "bench-events", "bench-olap", timed, session_timeout_ms=2000)
    async with database.session_factory() as session:
        await session.execute(insert(OutboxRow), _rows(BACKLOG))
        await session.commit()
    consuming = asyncio.create_task(consumer.run())
    await asyncio.sleep(0)
    started = time.perf_counter()
    exporting = asyncio.create_task(exporter.run_forever(0.05))
    try:
        await timed.wait_for(BACKLOG)
        throughput = BACKLOG / (time.perf_counter() - started)
        committed: dict[str, float] = {}
        end = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < end:
            rows = _rows(STREAM_BATCH)
            async with database.session_factory() as session:
                await session.execute(insert(OutboxRow), rows)
                await session.commit()
            now = time.time()
            committed.update((str(row["event_id"]), now) for row in rows)
            exporter.notify()
            await asyncio.sleep(STREAM_EVERY)
        await timed.wait_for(BACKLOG + len(committed))
        lags = sorted(timed.done[event_id] - at for event_id, at in committed.items())
        [final] = await olap.query("SELECT count() AS n FROM events FINAL")
    finally:
        for task in (exporting, consuming):
            task.cancel()
        await asyncio.gather(exporting, consuming, return_exceptions=True)
        await sink.close()
        await olap.close()
        await database.dispose()
    quantiles = statistics.quantiles(lags, n=100)
    return (
        f"backlog of {BACKLOG} events: {throughput:,.0f} events/s outbox → broker → consumer → ClickHouse\n"
        f"steady stream of {len(committed)} events ({len(committed) / STREAM_SECONDS:,.0f}/s): commit-to-queryable "
        f"lag p50 {quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms\n"
        f"events in the OLAP store (FINAL): {final['n']}"
    )


def _child(database_url: str, bootstrap: str, results: multiprocessing.Queue[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="cc-bench-olap-") as olap_dir:
        results.put(asyncio.run(_bench(database_url, bootstrap, olap_dir)))


def run() -> str:
    broker = Broker()
    broker.start()
    try:
        with throwaway_backends() as env:
            context = multiprocessing.get_context("spawn")
            results: multiprocessing.Queue[str] = context.Queue()
            child = context.Process(target=_child, args=(env["DATABASE_URL"], broker.bootstrap, results))
            child.start()
            report = results.get(timeout=600)
            child.join(timeout=30)
            return report
    finally:
        broker.close()
