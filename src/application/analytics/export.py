"""The outbox exporter: every committed event to the analytics sink (Kafka, or the OLAP writer), in order,
at least once. Apart from the in-process relay: its own cursor (`exported_at`) and its own lock."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import EventSink, ExportOutbox
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Cache, Clock

logger = structlog.get_logger("casino_club.analytics.export")


class OutboxExporter:
    """One pass at a time across all processes (a cache lock): read a batch in commit order, publish it, then mark
    it exported. A crash between the two publishes the batch again; the OLAP keys make that harmless."""

    LOCK_KEY = "outbox:export"
    MIN_GAP_SECONDS = 0.05

    def __init__(
        self,
        outbox: ExportOutbox,
        sink: EventSink,
        cache: Cache,
        clock: Clock,
        batch_size: int = 500,
        lock_ttl_seconds: float = 30.0,
    ) -> None:
        self._outbox = outbox
        self._sink = sink
        self._cache = cache
        self._clock = clock
        self._batch_size = batch_size
        self._lock_ttl = lock_ttl_seconds
        self._wake = asyncio.Event()
        self.backlog = 0  # the last count seen (for /metrics); -1 when the database could not say
        self.failing: str | None = None  # why the last pass failed (the sink's error class), None when it did not

    def notify(self) -> None:
        self._wake.set()

    async def _lock(self, wait_seconds: float) -> str | None:
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while (token := await self._cache.acquire_lock(self.LOCK_KEY, self._lock_ttl)) is None:
            if asyncio.get_running_loop().time() >= deadline:
                return None
            await asyncio.sleep(0.01)
        return token

    async def run_once(self, wait_seconds: float = 0.0) -> int:
        """Export one batch; returns how many events were exported. When another pass holds the lock this waits
        up to `wait_seconds` for it, else returns 0."""
        token = await self._lock(wait_seconds)
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
            await self._cache.release_lock(self.LOCK_KEY, token)

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

    async def run_forever(self, poll_interval_seconds: float = 1.0, max_backoff_seconds: float = 5.0) -> None:
        """Passes until cancelled; after a failure (the sink is down) waits longer each time, up to the maximum."""
        failures = 0
        while True:
            try:
                await self.drain(wait_seconds=0.0)
                failures, self.failing = 0, None
            except DependencyUnavailable as outage:  # one line a pass: nothing is lost, the batch goes again
                failures, self.failing = failures + 1, outage.reason
                logger.warning("outbox export failed", dependency=str(outage), error=outage.reason)
            except Exception as exc:
                failures, self.failing = failures + 1, type(exc).__name__
                logger.exception("outbox export failed")
            await self.measure_backlog()
            if failures:  # commits do not wake a failing exporter: each would be one more try at a dead broker
                await asyncio.sleep(min(max_backoff_seconds, poll_interval_seconds * 2.0 ** min(failures - 1, 6)))
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_interval_seconds):
                    await self._wake.wait()
            self._wake.clear()
            # commits that land meanwhile go in the next pass together: one pass per gap, however busy the app
            await asyncio.sleep(min(self.MIN_GAP_SECONDS, poll_interval_seconds))
