"""The outbox exporter: every committed event to the analytics sink (Kafka, or the OLAP writer), in order,
at least once. Apart from the in-process relay: its own cursor (`exported_at`) and its own lock."""

from __future__ import annotations

import structlog

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import EventSink, ExportOutbox
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
