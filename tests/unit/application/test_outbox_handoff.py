"""A relay pass handed to the exporter of the same process (in-memory outbox): one mark a row where the exporter is
caught up, its own cursor otherwise. Whatever fails, every event reaches the consumers once and the sink at least
once, in order, and nothing is exported twice except after a crash between the sink and the mark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.outbox import InMemoryOutboxStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.analytics.export import OutboxExporter
from src.application.shared.outbox import OutboxMessage, OutboxRelay
from tests.support.clocks import FakeClock
from tests.unit.application.test_outbox_exporter import Sink, Tapped

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


class Consumer:
    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(self, message: OutboxMessage) -> None:
        self.seen.append(message.payload["seq"])


class CountingOutbox(InMemoryOutboxStore):
    """Counts the writes that mark rows (one per row version a SQL store would write)."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.row_marks = 0

    async def mark_published(self, positions: Sequence[int], now: datetime, exported: Sequence[int] = ()) -> None:
        self.row_marks += len(positions)
        await super().mark_published(positions, now, exported)

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        self.row_marks += len(positions)
        await super().mark_exported(positions, now)


@dataclass
class Process:
    """A relay and an exporter in one process, on one outbox, as the app and the bench run them."""

    outbox: CountingOutbox
    sink: Sink
    consumer: Consumer
    relay: OutboxRelay
    exporter: OutboxExporter


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def process(store: InMemoryStore) -> Process:
    outbox, sink, consumer, cache = CountingOutbox(store), Sink(), Consumer(), InMemoryCache()
    exporter = OutboxExporter(outbox, sink, cache, FakeClock(NOW), batch_size=2)
    relay = OutboxRelay(outbox, {"Tapped": [consumer]}, cache, FakeClock(NOW), batch_size=2, export=exporter)
    return Process(outbox, sink, consumer, relay, exporter)


async def commit(store: InMemoryStore, *seqs: int) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        for seq in seqs:
            uow.record(Tapped(aggregate_id="p1", occurred_at=NOW, seq=seq))
        await uow.commit()


async def test_a_caught_up_exporter_takes_the_relays_pass_and_each_row_is_marked_once(
    store: InMemoryStore, process: Process
) -> None:
    await commit(store, 0, 1, 2)

    assert await process.relay.drain() == 3

    assert process.consumer.seen == [0, 1, 2]
    assert process.sink.accepted == [0, 1, 2]
    assert set(store.published) == set(store.exported) == {1, 2, 3}
    assert process.outbox.row_marks == 3  # one write a row, not one for the relay and one for the exporter
    assert await process.exporter.drain() == 0
    assert await process.exporter.measure_backlog() == 0


async def test_a_failing_sink_holds_up_no_consumer_and_the_exporter_later_exports_everything_once(
    store: InMemoryStore, process: Process
) -> None:
    await commit(store, 0, 1)
    process.sink.down = True

    assert await process.relay.drain() == 2  # the consumers have them; the sink does not
    await commit(store, 2)
    assert await process.relay.drain() == 1  # paused after the failure: not even tried

    assert process.consumer.seen == [0, 1, 2]
    assert (process.sink.accepted, store.exported) == ([], {})
    assert await process.exporter.measure_backlog() == 3
    process.sink.down = False
    assert await process.exporter.drain() == 3
    assert process.sink.accepted == [0, 1, 2]
    assert await process.exporter.measure_backlog() == 0


async def test_a_lagging_exporter_is_not_overtaken_by_the_relays_pass(store: InMemoryStore, process: Process) -> None:
    await commit(store, 0, 1)
    async with process.exporter.pass_along():  # the exporter's lock is held elsewhere: the pass is not taken
        # (the relay's own lock is apart from the exporter's, so its pass runs meanwhile)
        assert await process.relay.drain() == 2
    await commit(store, 2, 3)

    assert await process.relay.drain() == 2  # 0 and 1 still wait for export: 2 and 3 are not sent before them

    assert process.sink.accepted == []
    assert await process.exporter.drain() == 4
    assert process.sink.accepted == [0, 1, 2, 3]
    await commit(store, 4)
    assert await process.relay.drain() == 1  # caught up again: the relay's passes are taken once more
    assert process.sink.accepted == [0, 1, 2, 3, 4]
    assert process.consumer.seen == [0, 1, 2, 3, 4]


async def test_events_the_exporter_already_sent_are_not_sent_again_with_the_relays_pass(
    store: InMemoryStore, process: Process
) -> None:
    await commit(store, 0, 1)
    assert await process.exporter.drain() == 2  # the exporter ran ahead of the relay
    await commit(store, 2)

    assert await process.relay.drain() == 3

    assert process.sink.accepted == [0, 1, 2]
    assert process.consumer.seen == [0, 1, 2]
    assert set(store.published) == set(store.exported) == {1, 2, 3}


async def test_events_a_consumer_failed_on_are_delivered_again_but_not_exported_again(
    store: InMemoryStore, process: Process
) -> None:
    await commit(store, 0, 1)
    failing_once = FailingOnce(seq=1)
    process.relay = OutboxRelay(
        process.outbox,
        {"Tapped": [process.consumer, failing_once]},
        InMemoryCache(),
        FakeClock(NOW),
        batch_size=2,
        export=process.exporter,
    )

    assert await process.relay.run_once() == 1  # 0 delivered; 1 failed in a consumer, exported with the pass
    assert process.sink.accepted == [0, 1]
    assert await process.relay.drain() == 1  # 1 again, to the consumers only

    assert process.sink.accepted == [0, 1]
    assert process.consumer.seen == [0, 1, 1]  # the consumer before the failing one saw 1 twice: at least once
    assert failing_once.seen == [0, 1]
    assert set(store.published) == set(store.exported) == {1, 2}
    assert await process.exporter.drain() == 0


class FailingOnce:
    def __init__(self, seq: int) -> None:
        self.fail_on: int | None = seq
        self.seen: list[int] = []

    async def __call__(self, message: OutboxMessage) -> None:
        if message.payload["seq"] == self.fail_on:
            self.fail_on = None
            raise RuntimeError("consumer down")
        self.seen.append(message.payload["seq"])
