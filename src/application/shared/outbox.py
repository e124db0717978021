"""The outbox relay: delivers committed domain events to subscribers, in order, at least once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog

from src.application.shared.passes import Lease, PassLock, PassLoop
from src.application.shared.ports import Cache, Clock

logger = structlog.get_logger("casino_club.outbox")


@dataclass(frozen=True)
class OutboxMessage:
    position: int
    event_id: str
    event_type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    created_at: datetime


class OutboxStore(Protocol):
    async def unpublished(self, limit: int) -> list[OutboxMessage]: ...

    async def mark_published(self, positions: Sequence[int], now: datetime, exported: Sequence[int] = ()) -> None:
        """Marks `positions` published, and those of them in `exported` exported too, in one write."""

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        """Events of a relay pass the exporter took that the consumers did not (one failed): exported only."""


class ExportPass(Protocol):
    async def publish(self, messages: Sequence[OutboxMessage]) -> Sequence[int]:
        """Exports what of `messages` the exporter has not: the positions to mark exported with the relay's mark,
        none when it did not export them now (its own passes will, from its own cursor)."""


class ExportHandoff(Protocol):
    """The analytics exporter of this process, taking a relay pass's events as one of its own passes, so each
    outbox row is marked once (published and exported) instead of twice. Its cursor stays its own: it takes the
    pass only when nothing older waits for it and it holds its own pass lock, and a failing sink never holds up
    the relay (the rows are then marked published only, and it catches up by itself)."""

    def pass_along(self) -> AbstractAsyncContextManager[ExportPass | None]:
        """Held around the relay's pass (from its read to its mark); None when the exporter cannot take it now."""


Subscriber = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class BatchSubscriber:
    """A consumer that takes a whole pass's events of its types at once (in order), e.g. to write them
    in one round trip. If it fails, the pass publishes nothing and everything is delivered again."""

    handle: Callable[[Sequence[OutboxMessage]], Awaitable[None]]


Subscription = Subscriber | BatchSubscriber


class OutboxRelay:
    """One relay pass at a time across all processes (a cache lock), looped by one process of the deployment at a
    time (a lease; the others stand by); a failing subscriber stops the pass at that event, so later events never
    overtake it, and the pass is retried later."""

    LOCK_KEY = "outbox:relay"
    LEASE_KEY = "outbox:relay:lease"
    # The batch consumers cost a few statements a pass whatever its events, so a backlog drains in as many passes as
    # it has batches: 1,000 took the drain after a 5 s spin load from 2.4-4.4 s (200 a pass) to 0.5-0.6 s.
    BATCH_SIZE = 1000
    # the events read into a pass are sorted into its consumers' batches this many at a time between turns of the
    # event loop
    YIELD_EVERY = 200
    # After a pass that published something the looping relay waits this long before the next: under load, commits
    # then go in passes of ~0.1 s of events instead of whatever landed during the last pass (every consumer's
    # statements are paid per pass: ~9 ms of CPU, against ~0.12 ms per spin in a pass), and the requests get the
    # loop meanwhile. A realtime message waits at most this much longer; an idle relay runs at once when woken, and
    # a `drain` (read-your-writes) never waits.
    BUSY_GAP_SECONDS = 0.1

    def __init__(
        self,
        store: OutboxStore,
        subscribers: Mapping[str, Sequence[Subscription]],
        cache: Cache,
        clock: Clock,
        batch_size: int = BATCH_SIZE,
        lock_ttl_seconds: float = 30.0,
        lease_ttl_seconds: float = 10.0,
        busy_gap_seconds: float = BUSY_GAP_SECONDS,
        export: ExportHandoff | None = None,
    ) -> None:
        self._store = store
        self.export = export  # the exporter of this process, set once it exists
        self._subscribers = subscribers
        self._clock = clock
        self._batch_size = batch_size
        self._lock = PassLock(cache, self.LOCK_KEY, lock_ttl_seconds)
        self._loop = PassLoop(
            "outbox relay",
            self._drain_now,
            Lease(cache, self.LEASE_KEY, lease_ttl_seconds),
            busy_gap_seconds=busy_gap_seconds,
        )

    def notify(self) -> None:
        """New events were committed: run the next pass now instead of at the next poll (if this process loops)."""
        self._loop.notify()

    async def _deliver(self, message: OutboxMessage, batches: dict[BatchSubscriber, list[OutboxMessage]]) -> None:
        for subscriber in self._subscribers.get(message.event_type, ()):
            if isinstance(subscriber, BatchSubscriber):
                batches.setdefault(subscriber, []).append(message)
            else:
                await subscriber(message)

    async def _deliver_batches(self, batches: dict[BatchSubscriber, list[OutboxMessage]]) -> bool:
        try:
            for subscriber, messages in batches.items():
                # a consumer's pass is a stretch of Python between its statements (and none at all when its
                # store is in memory): the requests waiting on the loop go first, then the next consumer
                await asyncio.sleep(0)
                await subscriber.handle(messages)
        except Exception:
            logger.exception("batch delivery failed; the whole pass will be delivered again")
            return False
        return True

    async def run_once(self, wait_seconds: float = 0.0) -> int:
        """Deliver one batch; returns how many events were published.

        When another pass holds the lock this waits up to `wait_seconds` for it, else returns 0.
        """
        token = await self._lock.acquire(wait_seconds)
        if token is None:
            return 0
        try:
            return await self._pass()
        finally:
            await self._lock.release(token)

    async def _pass(self) -> int:
        """One batch under the lock. A pass cancelled before its batch consumers are done publishes nothing: every
        event of it is delivered again (its batch consumers may not have had it)."""
        if self.export is None:
            return await self._deliver_pass(None)
        async with self.export.pass_along() as export:
            return await self._deliver_pass(export)

    async def _deliver_pass(self, export: ExportPass | None) -> int:
        messages = await self._store.unpublished(self._batch_size)
        # the exporter sends the pass to its sink while the consumers take it (a chDB insert or a Kafka round trip
        # runs beside them, not after them); what it exported is marked with the relay's mark
        exporting = asyncio.create_task(export.publish(messages)) if export is not None and messages else None
        try:
            delivered = await self._deliver_all(messages)
            exported = await exporting if exporting is not None else ()
        finally:
            if exporting is not None and not exporting.done():
                exporting.cancel()
        positions = [message.position for message in delivered]
        taken = set(positions)
        if delivered:
            await self._store.mark_published(positions, self._clock.now(), [p for p in exported if p in taken])
        if undelivered := [p for p in exported if p not in taken]:
            # a consumer failed: those events go to the consumers again later, but the sink has them
            await self._store.mark_exported(undelivered, self._clock.now())
        return len(delivered)

    async def _deliver_all(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        """The events every consumer took, in order: up to the first a subscriber failed on, none when a batch
        consumer failed."""
        delivered: list[OutboxMessage] = []
        batches: dict[BatchSubscriber, list[OutboxMessage]] = {}
        for index, message in enumerate(messages):
            if index and not index % self.YIELD_EVERY:
                await asyncio.sleep(0)  # sorting a pass of 1,000 into batches is one stretch otherwise
            try:
                await self._deliver(message, batches)
            except Exception:
                logger.exception("event delivery failed; will retry", event_id=message.event_id)
                break
            delivered.append(message)
        if not await self._deliver_batches(batches):
            return []
        return delivered

    async def drain(self, max_passes: int = 20, wait_seconds: float = 5.0) -> int:
        """Run passes until one finds less than a batch (or `max_passes`): read-your-writes for the caller's own
        events. Events the consumers write during the last pass (a prize, its notice) wait for the next pass: a caller
        that needs those too drains until this returns 0.

        A pass already running elsewhere is waited for rather than skipped, so the caller's events are out. The lock
        is taken once for the passes in a row (two cache round trips per drain, not per pass).
        """
        token = await self._lock.acquire(wait_seconds)
        if token is None:
            return 0
        total = 0
        try:
            for _ in range(max_passes):
                published = await self._pass()
                total += published
                if published < self._batch_size or not await self._lock.keep(token):
                    break
        finally:
            await self._lock.release(token)
        return total

    async def _drain_now(self) -> int:
        return await self.drain(wait_seconds=0.0)

    async def run_forever(self, poll_interval_seconds: float = 1.0) -> None:
        """Passes until cancelled, while this process holds the relay's lease."""
        await self._loop.run_forever(poll_interval_seconds)
