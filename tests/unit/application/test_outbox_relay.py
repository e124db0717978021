"""The outbox relay over the in-memory outbox: order, at-least-once delivery, one pass at a time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import structlog

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.outbox import InMemoryOutboxStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.shared import passes
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.outbox import BatchSubscriber, OutboxMessage, OutboxRelay, Subscription
from src.domain.shared.events import DomainEvent
from tests.support.clocks import FakeClock
from tests.support.polling import eventually

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    event_type: ClassVar[str] = "Pinged"
    seq: int


@dataclass(frozen=True, kw_only=True)
class Ponged(DomainEvent):
    event_type: ClassVar[str] = "Ponged"
    seq: int


class Recorder:
    """A subscriber that notes what it was handed, optionally failing once on the event with sequence `fail_on`."""

    def __init__(self, name: str, log: list[tuple[str, int]], fail_on: int | None = None) -> None:
        self.name, self.log, self.fail_on = name, log, fail_on

    async def __call__(self, message: OutboxMessage) -> None:
        if message.payload["seq"] == self.fail_on:
            self.fail_on = None
            raise RuntimeError("subscriber down")
        self.log.append((self.name, message.payload["seq"]))


class IdempotentCounter:
    """A consumer that applies each event once, by event id, however often it is delivered."""

    def __init__(self) -> None:
        self.deliveries: list[int] = []
        self.applied: list[int] = []
        self._seen: set[str] = set()

    async def __call__(self, message: OutboxMessage) -> None:
        self.deliveries.append(message.payload["seq"])
        if message.event_id not in self._seen:
            self._seen.add(message.event_id)
            self.applied.append(message.payload["seq"])


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def cache() -> InMemoryCache:
    return InMemoryCache()


def _relay(
    store: InMemoryStore, cache: InMemoryCache, subscribers: dict[str, list[Subscription]], batch_size: int = 200
) -> OutboxRelay:
    return OutboxRelay(InMemoryOutboxStore(store), subscribers, cache, FakeClock(NOW), batch_size=batch_size)


async def _committed(store: InMemoryStore, *events: DomainEvent) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        for event in events:
            uow.record(event)
        await uow.commit()


def _pings(count: int) -> list[DomainEvent]:
    aggregate_id = uuid.uuid4().hex
    return [Pinged(aggregate_id=aggregate_id, occurred_at=NOW, seq=seq) for seq in range(count)]


async def _unpublished(store: InMemoryStore) -> list[int]:
    return [message.payload["seq"] for message in await InMemoryOutboxStore(store).unpublished(100)]


async def test_a_pass_delivers_in_order_to_the_subscribers_of_each_type_and_marks_published(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    log: list[tuple[str, int]] = []
    await _committed(
        store, Pinged(aggregate_id="x", occurred_at=NOW, seq=0), Ponged(aggregate_id="x", occurred_at=NOW, seq=1)
    )
    await _committed(store, Pinged(aggregate_id="x", occurred_at=NOW, seq=2))
    sut = _relay(store, cache, {"Pinged": [Recorder("a", log), Recorder("b", log)], "Ponged": [Recorder("c", log)]})

    first_pass = await sut.run_once()
    second_pass = await sut.run_once()

    assert (first_pass, second_pass) == (3, 0)
    assert log == [("a", 0), ("b", 0), ("c", 1), ("a", 2), ("b", 2)]
    assert await _unpublished(store) == []


async def test_an_event_nobody_subscribes_to_is_published_all_the_same(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    await _committed(store, *_pings(2))

    published = await _relay(store, cache, {}).run_once()

    assert published == 2
    assert await _unpublished(store) == []


async def test_a_failing_subscriber_stops_the_pass_and_the_next_pass_redelivers_from_there(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    log: list[tuple[str, int]] = []
    counter = IdempotentCounter()
    await _committed(store, *_pings(5))
    sut = _relay(store, cache, {"Pinged": [counter, Recorder("flaky", log, fail_on=2)]})

    first_pass = await sut.run_once()
    left_after_failure = await _unpublished(store)
    second_pass = await sut.run_once()

    assert (first_pass, left_after_failure) == (2, [2, 3, 4])
    assert second_pass == 3
    assert await _unpublished(store) == []
    assert counter.deliveries == [0, 1, 2, 2, 3, 4]  # at least once: the failed event came again
    assert counter.applied == [0, 1, 2, 3, 4]  # exactly once for a consumer that dedupes by event id
    assert log == [("flaky", seq) for seq in range(5)]


async def test_a_relay_that_cannot_take_the_lock_delivers_nothing(store: InMemoryStore, cache: InMemoryCache) -> None:
    log: list[tuple[str, int]] = []
    await _committed(store, *_pings(3))
    sut = _relay(store, cache, {"Pinged": [Recorder("a", log)]})
    token = await cache.acquire_lock(OutboxRelay.LOCK_KEY, 30)
    assert token is not None

    while_held = await sut.run_once()
    await cache.release_lock(OutboxRelay.LOCK_KEY, token)
    once_free = await sut.run_once()

    assert (while_held, once_free) == (0, 3)
    assert log == [("a", 0), ("a", 1), ("a", 2)]


async def test_drain_runs_passes_until_the_outbox_is_empty(store: InMemoryStore, cache: InMemoryCache) -> None:
    log: list[tuple[str, int]] = []
    await _committed(store, *_pings(3))
    await _committed(store, *_pings(2))
    sut = _relay(store, cache, {"Pinged": [Recorder("a", log)]}, batch_size=2)

    limited = await sut.drain(max_passes=1)
    drained = await sut.drain()

    assert (limited, drained) == (2, 3)
    assert [seq for _, seq in log] == [0, 1, 2, 0, 1]
    assert await _unpublished(store) == []


async def test_a_relay_woken_just_before_cancellation_still_stops() -> None:
    store = InMemoryStore()
    sut = OutboxRelay(InMemoryOutboxStore(store), {}, InMemoryCache(), FakeClock(NOW))
    drain, passed = sut.drain, asyncio.Event()

    async def drain_and_tell(**kwargs: Any) -> int:
        try:
            return await drain(**kwargs)
        finally:
            passed.set()  # the relay goes on to wait for its wake-up with no await in between

    sut.drain = drain_and_tell
    for _ in range(50):
        passed.clear()
        task = asyncio.create_task(sut.run_forever(poll_interval_seconds=5))
        await passed.wait()  # the test runs again once the relay waits
        sut.notify()
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=2)
        assert task.cancelled() or task.done()


async def test_a_batch_subscriber_gets_the_passs_events_of_its_types_in_order(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    batches: list[list[int]] = []

    async def take(messages: Sequence[OutboxMessage]) -> None:
        batches.append([message.payload["seq"] for message in messages])

    await _committed(store, *_pings(4))
    sut = _relay(store, cache, {"Pinged": [BatchSubscriber(take)]})

    published = await sut.run_once()

    assert (published, batches) == (4, [[0, 1, 2, 3]])
    assert await _unpublished(store) == []


async def test_a_failing_batch_subscriber_leaves_the_whole_pass_for_redelivery(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    attempts: list[list[int]] = []

    async def flaky(messages: Sequence[OutboxMessage]) -> None:
        attempts.append([message.payload["seq"] for message in messages])
        if len(attempts) == 1:
            raise RuntimeError("leaderboard down")

    await _committed(store, *_pings(3))
    sut = _relay(store, cache, {"Pinged": [BatchSubscriber(flaky)]})

    first = await sut.run_once()
    unpublished_after_failure = await _unpublished(store)
    second = await sut.run_once()

    assert (first, unpublished_after_failure) == (0, [0, 1, 2])
    assert (second, attempts) == (3, [[0, 1, 2], [0, 1, 2]])
    assert await _unpublished(store) == []


class UnreachableOutbox(InMemoryOutboxStore):
    async def unpublished(self, limit: int) -> list[OutboxMessage]:
        raise DependencyUnavailable("database unavailable") from ConnectionRefusedError("db.internal:5432")


async def test_an_outage_is_one_warning_a_pass_without_a_trace_and_the_relay_keeps_going(
    cache: InMemoryCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the module's logger is swapped rather than captured: structlog caches a logger on first use, and a cached
    # one escapes `capture_logs` once any earlier test in this process has logged through it
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(passes, "logger", log)  # the loop shared with the exporter logs a failed pass
    sut = OutboxRelay(UnreachableOutbox(InMemoryStore()), {}, cache, FakeClock(NOW))
    task = asyncio.create_task(sut.run_forever(poll_interval_seconds=0.01))

    def failures() -> list[Any]:
        return [call for call in log.calls if call.args == ("outbox relay pass failed",)]

    async def kept_polling() -> bool:
        return len(failures()) >= 2

    await eventually(kept_polling)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert {call.method_name for call in failures()} == {"warning"}  # not `exception`: no trace
    assert failures()[0].kwargs == {"dependency": "database unavailable", "error": "ConnectionRefusedError"}
    assert "db.internal" not in str(log.calls)


async def test_of_two_relays_only_the_lease_holder_publishes_and_the_other_takes_over_when_it_stops(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    log: list[tuple[str, int]] = []
    relays = {name: _relay(store, cache, {"Pinged": [Recorder(name, log)]}) for name in ("a", "b")}
    tasks = {name: asyncio.create_task(relay.run_forever(poll_interval_seconds=0.01)) for name, relay in relays.items()}
    try:
        for delivered in range(1, 6):  # five passes, each woken in both processes
            await _committed(store, *_pings(1))
            for relay in relays.values():
                relay.notify()
            await eventually(lambda delivered=delivered: _true(len(log) == delivered), deadline=5)
        holder = log[0][0]
        standby = "b" if holder == "a" else "a"
        tasks[holder].cancel()
        await asyncio.gather(tasks[holder], return_exceptions=True)

        await _committed(store, *_pings(2))
        await eventually(lambda: _true(len(log) == 7), deadline=5)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)

    assert [name for name, _ in log] == [holder] * 5 + [standby] * 2
    assert await _unpublished(store) == []


async def _true(value: bool) -> bool:
    return value


class Turns:
    """Another task on the loop, counting the turns it gets while a pass runs."""

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _spin(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(0)

    async def __aenter__(self) -> Turns:
        self._task = asyncio.create_task(self._spin())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def test_a_pass_lets_other_tasks_run_between_its_consumers(store: InMemoryStore, cache: InMemoryCache) -> None:
    """Consumers that never suspend (memory stores) still leave the loop to the requests between them."""
    seen: list[tuple[str, int]] = []
    turns = Turns()

    def consumer(name: str) -> BatchSubscriber:
        async def take(messages: Sequence[OutboxMessage]) -> None:
            seen.append((name, turns.count))

        return BatchSubscriber(take)

    await _committed(store, *_pings(3))
    sut = _relay(store, cache, {"Pinged": [consumer("a"), consumer("b"), consumer("c")]})
    async with turns:
        published = await sut.run_once()

    assert published == 3
    assert [name for name, _ in seen] == ["a", "b", "c"]
    assert seen[0][1] < seen[1][1] < seen[2][1]


async def test_a_pass_of_many_events_lets_other_tasks_run_while_it_sorts_them(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    turns = Turns()
    at: dict[int, int] = {}

    async def note(message: OutboxMessage) -> None:
        at[message.payload["seq"]] = turns.count

    count = OutboxRelay.YIELD_EVERY * 2 + 1
    await _committed(store, *_pings(count))
    sut = _relay(store, cache, {"Pinged": [note]}, batch_size=count)
    async with turns:
        published = await sut.run_once()

    assert published == count
    assert at[0] < at[OutboxRelay.YIELD_EVERY] < at[count - 1]
    assert at[0] == at[OutboxRelay.YIELD_EVERY - 1]  # in stretches, not a turn per event


async def test_a_pass_cancelled_while_its_consumers_run_publishes_nothing(
    store: InMemoryStore, cache: InMemoryCache
) -> None:
    """A plain subscriber had the events, a batch consumer not yet: all of them are delivered again (at least
    once; consumers are idempotent by event id)."""
    log: list[tuple[str, int]] = []
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck(messages: Sequence[OutboxMessage]) -> None:
        started.set()
        await never.wait()

    await _committed(store, *_pings(2))
    sut = _relay(store, cache, {"Pinged": [Recorder("plain", log), BatchSubscriber(stuck)]})
    task = asyncio.create_task(sut.run_once())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert log == [("plain", 0), ("plain", 1)]
    assert await _unpublished(store) == [0, 1]
