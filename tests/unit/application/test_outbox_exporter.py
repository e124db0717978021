"""The analytics exporter over the in-memory outbox: commit order, at least once, its own cursor, backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.outbox import InMemoryOutboxStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.export import OutboxExporter
from src.application.shared.errors import DependencyUnavailable
from src.domain.shared.events import DomainEvent
from tests.support.clocks import FakeClock
from tests.support.polling import eventually

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Tapped(DomainEvent):
    event_type: ClassVar[str] = "Tapped"
    aggregate_type: ClassVar[str] = "user"
    seq: int


class Sink:
    """Records what it accepted; `down` makes every publish fail as an unreachable broker does."""

    def __init__(self) -> None:
        self.accepted: list[int] = []
        self.down = False
        self.attempts = 0

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        self.attempts += 1
        if self.down:
            raise DependencyUnavailable("kafka unreachable") from ConnectionRefusedError()
        self.accepted += [event.payload["seq"] for event in events]


class CrashAfterPublish(InMemoryOutboxStore):
    """The process dies between the sink's acknowledgement and marking the batch exported (once)."""

    crashed = False

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed")
        await super().mark_exported(positions, now)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


async def commit(store: InMemoryStore, *seqs: int) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        for seq in seqs:
            uow.record(Tapped(aggregate_id="p1", occurred_at=NOW, seq=seq))
        await uow.commit()


def exporter(store: InMemoryStore, sink: Sink, outbox: InMemoryOutboxStore | None = None, **kw: int) -> OutboxExporter:
    return OutboxExporter(outbox or InMemoryOutboxStore(store), sink, InMemoryCache(), FakeClock(NOW), **kw)


async def test_events_go_in_commit_order_with_their_player_and_are_marked_exported(store: InMemoryStore) -> None:
    await commit(store, 0, 1)
    await commit(store, 2)
    sink = Sink()
    sut = exporter(store, sink, batch_size=2)

    exported = await sut.drain()

    assert exported == 3
    assert sink.accepted == [0, 1, 2]
    assert await sut.measure_backlog() == 0
    assert await sut.run_once() == 0


async def test_the_exporter_cursor_is_apart_from_the_relays(store: InMemoryStore) -> None:
    await commit(store, 0)
    await InMemoryOutboxStore(store).mark_published([1], NOW)  # the in-process relay delivered it
    sink = Sink()

    await exporter(store, sink).drain()

    assert sink.accepted == [0]


async def test_a_sink_outage_marks_nothing_and_the_backlog_goes_once_it_is_back(store: InMemoryStore) -> None:
    await commit(store, 0, 1)
    sink = Sink()
    sink.down = True
    sut = exporter(store, sink)

    with pytest.raises(DependencyUnavailable):
        await sut.drain()
    await commit(store, 2)
    assert await sut.measure_backlog() == 3
    sink.down = False
    await sut.drain()

    assert sink.accepted == [0, 1, 2]
    assert await sut.measure_backlog() == 0


async def test_a_crash_between_publish_and_marking_publishes_the_batch_again(store: InMemoryStore) -> None:
    await commit(store, 0, 1)
    sink = Sink()
    outbox = CrashAfterPublish(store)

    with pytest.raises(RuntimeError):
        await exporter(store, sink, outbox).drain()
    await exporter(store, sink, outbox).drain()  # the next process

    assert sink.accepted == [0, 1, 0, 1]  # at least once: the OLAP keys make the second copy harmless


async def test_the_loop_reports_the_failure_and_recovers_without_a_commit_to_wake_it(store: InMemoryStore) -> None:
    await commit(store, 0)
    sink = Sink()
    sink.down = True
    sut = exporter(store, sink)
    loop = asyncio.create_task(sut.run_forever(poll_interval_seconds=0.01, max_backoff_seconds=0.02))
    try:
        await eventually(lambda: _true(sink.attempts >= 2 and sut.failing == "ConnectionRefusedError"))
        assert sut.backlog == 1
        sink.down = False
        await eventually(lambda: _true(sink.accepted == [0] and sut.failing is None and sut.backlog == 0))
    finally:
        loop.cancel()


async def _true(value: bool) -> bool:
    return value
