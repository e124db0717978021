"""The pipeline on a real Kafka-protocol broker (tansu, started once for the module): app → outbox → exporter →
Kafka → consumer group → OLAP store (chDB). After every fault the OLAP ledger equals PostgreSQL's, to the coin.

The app runs without an exporter of its own (OUTBOX_EXPORT_IN_APP=false): each test runs the exporter and the
consumer as the worker and `casino-club consume` would, so it can stop, kill and restart them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.adapters.clickhouse.olap import ClickHouseOlap
from src.adapters.kafka.consumer import KafkaOlapConsumer
from src.adapters.kafka.publisher import KafkaEventSink
from src.adapters.memory.cache import InMemoryCache
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.system.clock import SystemClock
from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.export import OutboxExporter
from src.application.analytics.ports import OlapStore
from src.application.analytics.writer import OlapEventWriter
from src.application.shared.errors import DependencyUnavailable
from src.entrypoints.container import Container
from tests.api.games.helpers import spin, spin_ok
from tests.support.api import in_app, sign_up, unique
from tests.support.broker import Broker, running_broker
from tests.support.olap import ledger_totals, olap_event_counts, olap_ledger_totals
from tests.support.polling import eventually

TOPIC = unique("events")


@pytest.fixture
def group() -> str:
    """A consumer group of the test's own: a member joining a group that another test's member just left waited
    up to ~4 s for the broker to give up on that member."""
    return unique("olap")


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with running_broker() as started:
        yield started


@pytest.fixture(scope="module")
def app_settings(broker: Broker) -> dict[str, Any]:
    return {
        "kafka_bootstrap_servers": broker.bootstrap,
        "kafka_idempotent_producer": "false",  # tansu refuses aiokafka's InitProducerId (tests/support/broker.py)
        "kafka_events_topic": TOPIC,
        "outbox_export_in_app": "false",
    }


@pytest_asyncio.fixture
async def olap(olap_dsn: str) -> AsyncIterator[ClickHouseOlap]:
    store = ClickHouseOlap(olap_dsn)
    await store.start()
    try:
        yield store
    finally:
        await store.close()


@pytest_asyncio.fixture
async def outbox(pg_url: str) -> AsyncIterator[SqlaOutboxStore]:
    database = SqlaDatabase(pg_url, pool_size=2)
    try:
        yield SqlaOutboxStore(database.session_factory)
    finally:
        await database.dispose()


# the broker's stop is found after a request times out: 5 s in production (REQUEST_TIMEOUT_MS), 1 s here (a pass
# that times out on a live but slow broker fails and is retried, so a loaded machine costs time, not the test)
SINK_REQUEST_TIMEOUT_MS = 1_000


class Sinks:
    """Kafka producers made by a test, closed at its end."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self.made: list[KafkaEventSink] = []

    def __call__(self) -> KafkaEventSink:
        self.made.append(
            KafkaEventSink(self._broker.bootstrap, TOPIC, idempotent=False, request_timeout_ms=SINK_REQUEST_TIMEOUT_MS)
        )
        return self.made[-1]


@pytest_asyncio.fixture
async def sinks(broker: Broker) -> AsyncIterator[Sinks]:
    made = Sinks(broker)
    yield made
    for sink in made.made:
        await sink.close()


def exporter(outbox: Any, sink: KafkaEventSink) -> OutboxExporter:
    return OutboxExporter(outbox, sink, InMemoryCache(), SystemClock())


@contextlib.asynccontextmanager
async def running(*loops: Any) -> AsyncIterator[list[asyncio.Task[Any]]]:
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def consumer(broker: Broker, group: str, writer: Any) -> KafkaOlapConsumer:
    # a short session: tansu waits for other members before a join completes, and for a killed member's session to
    # end before the next one reads its partitions (a member that misses its session on a loaded machine is
    # rebalanced and its batch read again, which the OLAP keys make harmless)
    return KafkaOlapConsumer(
        broker.bootstrap,
        TOPIC,
        group,
        writer,
        retry_seconds=0.05,
        max_backoff_seconds=0.5,
        session_timeout_ms=1000,
        metadata_max_age_ms=1000,
    )


async def play(client: AsyncTestClient[Litestar], container: Container, spins: int, player: Any = None) -> Any:
    tokens = player or await sign_up(client)
    for _ in range(spins):
        await spin_ok(client, tokens, bet=10)
    await in_app(client, container.relay.drain)  # the signup bonus: credited by an in-process consumer
    return tokens


async def caught_up(olap: OlapStore, pg_url: str, players: Sequence[str]) -> None:
    """Waits until the OLAP ledger of these players equals PostgreSQL's (and fails if it never does)."""

    async def equal() -> bool:
        expected = await ledger_totals(pg_url, players)
        return bool(expected) and await olap_ledger_totals(olap, players) == expected

    await eventually(equal, deadline=30, interval=0.1)


async def test_events_travel_keyed_by_player_with_their_type_in_a_header(
    client: AsyncTestClient[Litestar], container: Container, broker: Broker, olap: OlapStore, outbox: Any,
    sinks: Sinks, pg_url: str, group: str,
) -> None:  # fmt: skip
    tokens = await play(client, container, spins=3)
    player = tokens["user"]["id"]

    async with running(
        exporter(outbox, sinks()).run_forever(0.05), consumer(broker, group, OlapEventWriter(olap)).run()
    ):
        await caught_up(olap, pg_url, [player])

    assert (await olap_event_counts(olap, [player]))["SpinSettled"] == 3
    messages = await _messages(broker, lambda headers: headers.get("event_type") == b"SpinSettled")
    mine = [m for m in messages if m.key == player.encode()]
    assert len({m.partition for m in mine}) == 1  # one player's events share a partition, so they stay in order
    assert len({m.headers["event_id"] for m in mine}) == 3
    assert all(m.headers["version"] == b"1" for m in mine)


async def test_a_stopped_broker_holds_up_no_request_and_the_backlog_is_delivered_when_it_is_back(
    client: AsyncTestClient[Litestar], container: Container, broker: Broker, olap: OlapStore, outbox: Any,
    sinks: Sinks, pg_url: str, group: str,
) -> None:  # fmt: skip
    export = exporter(outbox, sinks())
    async with running(export.run_forever(0.05), consumer(broker, group, OlapEventWriter(olap)).run()):
        tokens = await play(client, container, spins=8)
        player = tokens["user"]["id"]
        await caught_up(olap, pg_url, [player])

        broker.stop()
        try:
            answers = [await spin(client, tokens, bet=10) for _ in range(3)]
            assert [answer.status_code for answer in answers] == [200, 200, 200]
            await eventually(lambda: _true(export.failing is not None and export.backlog >= 6), deadline=30)
            ready = await client.get("/ready")
            assert ready.status_code == 200  # a broker outage is a backlog, never an unready app
        finally:
            broker.start()
        await caught_up(olap, pg_url, [player])

    assert (await olap_event_counts(olap, [player]))["SpinSettled"] == 11
    assert await outbox.export_backlog() == 0


async def test_a_relay_killed_between_publishing_and_marking_publishes_again_and_nothing_counts_twice(
    client: AsyncTestClient[Litestar], container: Container, broker: Broker, olap: OlapStore, outbox: Any,
    sinks: Sinks, pg_url: str, group: str,
) -> None:  # fmt: skip
    tokens = await play(client, container, spins=4)
    player = tokens["user"]["id"]
    killed = KilledBeforeMarking(outbox)

    with pytest.raises(Killed):
        await exporter(killed, sinks()).drain()
    assert killed.published_then_killed
    async with running(
        exporter(outbox, sinks()).run_forever(0.05), consumer(broker, group, OlapEventWriter(olap)).run()
    ):
        await caught_up(olap, pg_url, [player])

    assert (await olap_event_counts(olap, [player]))["SpinSettled"] == 4
    copies = await _messages(broker, lambda headers: headers.get("event_type") == b"SpinSettled")
    assert sum(m.key == player.encode() for m in copies) == 8  # each spin is on the topic twice


async def test_a_consumer_killed_between_writing_and_committing_reads_again_and_nothing_counts_twice(
    client: AsyncTestClient[Litestar], container: Container, broker: Broker, olap: OlapStore, outbox: Any,
    sinks: Sinks, pg_url: str, group: str,
) -> None:  # fmt: skip
    tokens = await play(client, container, spins=5)
    player = tokens["user"]["id"]
    await exporter(outbox, sinks()).drain()
    dying = KilledAfterWriting(OlapEventWriter(olap), player)

    first = asyncio.create_task(consumer(broker, group, dying).run())
    await asyncio.wait([first], timeout=30)
    assert first.done()
    assert dying.killed  # it wrote the player's batch, then died before committing
    again = Recording(OlapEventWriter(olap))
    async with running(consumer(broker, group, again).run()):  # the next member of the group reads that batch again
        await eventually(lambda: _true(again.spins_of(player) == 5), deadline=30)

    assert (await olap_event_counts(olap, [player]))["SpinSettled"] == 5  # written twice, read once
    assert await olap_ledger_totals(olap, [player]) == await ledger_totals(pg_url, [player])


async def test_an_olap_store_away_for_a_while_is_retried_and_nothing_is_lost(
    client: AsyncTestClient[Litestar], container: Container, broker: Broker, olap: OlapStore, outbox: Any,
    sinks: Sinks, pg_url: str, group: str,
) -> None:  # fmt: skip
    away = Unreachable(olap)
    tokens = await play(client, container, spins=6)
    player = tokens["user"]["id"]

    async with running(
        exporter(outbox, sinks()).run_forever(0.05), consumer(broker, group, OlapEventWriter(away)).run()
    ):
        await eventually(lambda: _true(away.refused >= 3), deadline=30)
        away.down = False
        await caught_up(olap, pg_url, [player])

    assert (await olap_event_counts(olap, [player]))["SpinSettled"] == 6


class Killed(BaseException):
    """A process killed: nothing after it runs (not an error anything handles)."""


class KilledBeforeMarking:
    """The relay's outbox, in a process that dies once its batch is on Kafka and before marking it exported."""

    def __init__(self, outbox: SqlaOutboxStore) -> None:
        self._outbox = outbox
        self.published_then_killed = False

    async def unexported(self, limit: int) -> Any:
        return await self._outbox.unexported(limit)

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        self.published_then_killed = True
        raise Killed

    async def export_backlog(self) -> int:
        return await self._outbox.export_backlog()


class KilledAfterWriting:
    """The consumer's OLAP writer, in a process that dies right after writing a batch with the player's events."""

    def __init__(self, writer: OlapEventWriter, player: str) -> None:
        self._writer, self._player = writer, player
        self.killed = False

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        await self._writer.publish(events)
        if any(event.player_id == self._player for event in events):
            self.killed = True
            raise asyncio.CancelledError  # the task ends here, as a killed process would: no offset committed


class Recording:
    """The consumer's OLAP writer, noting what it wrote."""

    def __init__(self, writer: OlapEventWriter) -> None:
        self._writer = writer
        self.written: list[AnalyticsEvent] = []

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        await self._writer.publish(events)
        self.written += events

    def spins_of(self, player: str) -> int:
        return sum(e.event_type == "SpinSettled" and e.player_id == player for e in self.written)


class Unreachable:
    """The OLAP store, down (every call refused as a connection error) until `down` is cleared."""

    def __init__(self, olap: OlapStore) -> None:
        self._olap = olap
        self.down = True
        self.refused = 0

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
        if self.down:
            self.refused += 1
            raise DependencyUnavailable("olap store unreachable") from ConnectionRefusedError()
        return await self._olap.insert(table, columns, rows)

    async def ping(self) -> None:
        await self._olap.ping()

    async def execute(self, sql: str, parameters: Any = None) -> None:
        await self._olap.execute(sql, parameters)

    async def query(self, sql: str, parameters: Any = None) -> list[dict[str, object]]:
        return await self._olap.query(sql, parameters)


class Message:
    def __init__(self, record: Any) -> None:
        self.key: bytes = record.key
        self.partition: int = record.partition
        self.headers: dict[str, bytes] = dict(record.headers)


async def _messages(broker: Broker, keep: Any) -> list[Message]:
    """Every message on the topic now, those `keep` accepts (a reader outside any group, from the start to the end)."""
    reader = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    await reader.start()
    found: list[Message] = []
    try:
        partitions = [TopicPartition(TOPIC, p) for p in reader.partitions_for_topic(TOPIC) or set()]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await reader.position(tp) < end]:
            batch = await reader.getmany(*partitions, timeout_ms=1000)
            found += [Message(r) for records in batch.values() for r in records if keep(dict(r.headers))]
    finally:
        await reader.stop()
    return found


async def _true(value: bool) -> bool:
    return value
