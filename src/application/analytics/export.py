"""The outbox exporter: every committed event to the analytics sink (Kafka, or the OLAP writer), in order,
at least once. Apart from the in-process relay: its own cursor (`exported_at`) and its own lock; it takes the
relay's passes as its own while it is caught up (`pass_along`), so a row is marked once, not twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import EventSink, ExportOutbox
from src.application.shared.outbox import ExportPass, OutboxMessage
from src.application.shared.passes import Lease, PassLock, PassLoop
from src.application.shared.ports import Cache, Clock

logger = structlog.get_logger("casino_club.analytics.export")


class OutboxExporter:
    """One pass at a time across all processes (a cache lock), looped by one process at a time (a lease): read a
    batch in commit order, publish it, then mark it exported. A crash between the two publishes the batch again;
    the OLAP keys make that harmless."""

    LOCK_KEY = "outbox:export"
    LEASE_KEY = "outbox:export:lease"
    # commits that land during a pass and the gap after it go in the next one together: an insert into the embedded
    # store costs ~4 ms whatever its size (a pass makes two), so passes every 50 ms under load cost a tenth of a
    # core; one a second (capped by the poll interval) costs ~1 %, and an event reaches the OLAP store within ~1 s
    MIN_GAP_SECONDS = 1.0
    # a relay pass waits at most this long for the sink to take its events; then they are left to the exporter's
    # own passes (a broker that went away must not hold up the in-process consumers)
    HANDOFF_TIMEOUT_SECONDS = 2.0
    # after a relay pass the sink failed, the next ones are left to the exporter's own passes this long
    HANDOFF_PAUSE_SECONDS = 5.0

    def __init__(
        self,
        outbox: ExportOutbox,
        sink: EventSink,
        cache: Cache,
        clock: Clock,
        batch_size: int = 2000,  # a pass a second (MIN_GAP_SECONDS) carries a second of events in one insert per table
        lock_ttl_seconds: float = 30.0,
        lease_ttl_seconds: float = 10.0,
    ) -> None:
        self._outbox = outbox
        self._sink = sink
        self._clock = clock
        self._batch_size = batch_size
        self._lock = PassLock(cache, self.LOCK_KEY, lock_ttl_seconds)
        self._loop = PassLoop(
            "outbox export",
            self._drain_now,
            Lease(cache, self.LEASE_KEY, lease_ttl_seconds),
            max_backoff_seconds=5.0,
            min_gap_seconds=self.MIN_GAP_SECONDS,
            after_pass=self._after_pass,
        )
        self.backlog = 0  # the last count seen (for /metrics); -1 when the database could not say
        self.failing: str | None = None  # why the last pass failed (the sink's error class), None when it did not
        self._handoff_paused_until = 0.0  # time.monotonic(): relay passes are not taken before then

    def notify(self) -> None:
        self._loop.notify()

    async def run_once(self, wait_seconds: float = 0.0) -> int:
        """Export one batch; returns how many events were exported. When another pass holds the lock this waits
        up to `wait_seconds` for it, else returns 0."""
        token = await self._lock.acquire(wait_seconds)
        if token is None:
            return 0
        try:
            messages = await self._outbox.unexported(self._batch_size)
            if not messages:
                return 0
            await self._sink.publish([AnalyticsEvent.of(message) for message in messages])
            await self._outbox.mark_exported([message.position for message in messages], self._clock.now())
            return len(messages)
        finally:
            await self._lock.release(token)

    @asynccontextmanager
    async def pass_along(self) -> AsyncIterator[ExportPass | None]:
        """Around a relay pass of this process: the exporter's pass lock, so the relay's events go to the sink as
        one of its passes and are marked exported with the relay's mark. None (the relay marks them published only,
        and this exporter's own passes export them later) while its sink is failing or another pass holds the
        lock."""
        if self.failing is not None or time.monotonic() < self._handoff_paused_until:
            yield None
            return
        token = await self._lock.acquire(0.0)
        if token is None:
            yield None
            return
        try:
            yield _HandedPass(self._take)
        finally:
            await self._lock.release(token)

    async def _take(self, messages: Sequence[OutboxMessage]) -> Sequence[int]:
        pending = await self._outbox.pending_export([message.position for message in messages])
        if not pending:  # None: earlier events wait for export, and the relay's pass must not overtake them
            return ()
        wanted = set(pending)
        try:
            async with asyncio.timeout(self.HANDOFF_TIMEOUT_SECONDS):
                await self._sink.publish(
                    [AnalyticsEvent.of(message) for message in messages if message.position in wanted]
                )
        except Exception as exc:  # noqa: BLE001 - the relay goes on; this exporter's own passes retry the sink
            logger.warning("relay pass not exported; the exporter catches up by itself", error=type(exc).__name__)
            self._handoff_paused_until = time.monotonic() + self.HANDOFF_PAUSE_SECONDS
            self.notify()
            return ()
        return pending

    async def drain(self, max_passes: int = 100, wait_seconds: float = 5.0) -> int:
        """Passes until the backlog is out (or `max_passes`): read-your-writes for the caller, so a pass running
        elsewhere is waited for rather than skipped."""
        total = 0
        for _ in range(max_passes):
            exported = await self.run_once(wait_seconds)
            total += exported
            if exported < self._batch_size:
                break
        return total

    async def measure_backlog(self) -> int:
        """Counts the backlog (and keeps the count); -1 when the database could not say."""
        try:
            self.backlog = await self._outbox.export_backlog()
        except Exception as exc:  # noqa: BLE001 - a count for operators: never the reason a pass or /ready fails
            logger.warning("outbox export backlog not counted", error=type(exc).__name__)
            self.backlog = -1
        return self.backlog

    async def _drain_now(self) -> int:
        return await self.drain(wait_seconds=0.0)

    async def _after_pass(self, failure: str | None) -> None:
        self.failing = failure
        await self.measure_backlog()

    async def run_forever(self, poll_interval_seconds: float = 1.0, max_backoff_seconds: float = 5.0) -> None:
        """Passes until cancelled while this process holds the export lease; after a failure (the sink is down)
        waits longer each time, up to the maximum."""
        await self._loop.run_forever(poll_interval_seconds, max_backoff_seconds)


@dataclass(frozen=True)
class _HandedPass:
    """A relay pass taken by the exporter (ExportPass)."""

    take: Callable[[Sequence[OutboxMessage]], Awaitable[Sequence[int]]]

    async def publish(self, messages: Sequence[OutboxMessage]) -> Sequence[int]:
        return await self.take(messages)
