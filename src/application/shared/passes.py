"""The loop shape shared by the outbox relay and the analytics exporter: passes, one at a time across processes
(a cache lock per pass), looped by one process of the deployment at a time (a lease), the others on standby.

The lease only decides who loops; the per-pass lock is what keeps passes apart (an explicit `drain`, for
read-your-writes, runs a pass in any process). A holder that stops releases the lease, so a standby takes over at
its next poll; one that dies leaves it to lapse after `ttl_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog

from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Cache

logger = structlog.get_logger("casino_club.passes")


class Lease:
    """Held by one process at a time; the holder renews it every third of its ttl."""

    def __init__(self, cache: Cache, key: str, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic):
        self._cache = cache
        self._key = key
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._token: str | None = None
        self._renew_at = 0.0

    @property
    def held(self) -> bool:
        return self._token is not None

    async def hold(self) -> bool:
        """True while this process holds the lease: renewed when due, taken when free."""
        now = self._monotonic()
        if self._token is not None and now < self._renew_at:
            return True
        if self._token is not None and not await self._cache.extend_lock(self._key, self._token, self._ttl):
            self._token = None
            logger.warning("lease lost; standing by", lease=self._key)
        if self._token is None:
            self._token = await self._cache.acquire_lock(self._key, self._ttl)
        if self._token is not None:
            self._renew_at = now + self._ttl / 3
        return self._token is not None

    async def release(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            await self._cache.release_lock(self._key, token)


class PassLock:
    """One pass at a time across every process. This process's passes queue on a local lock first, so only one of
    them at a time asks the cache (each waiting pass, e.g. a signup's read-your-writes drain, used to poll it every
    10 ms); a holder running several passes in a row keeps the lock (`keep`) instead of taking it again each time."""

    def __init__(
        self, cache: Cache, key: str, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._cache = cache
        self._key = key
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._local = asyncio.Lock()
        self._extend_at = 0.0

    async def acquire(self, wait_seconds: float) -> str | None:
        """The lock's token; None when another pass still holds it after `wait_seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        if not await self._take_local(wait_seconds):
            return None
        token = None
        try:
            while (token := await self._cache.acquire_lock(self._key, self._ttl)) is None:
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(0.01)
        finally:
            if token is None:  # an error or the wait is over: the next local pass may try
                self._local.release()
        self._extend_at = self._monotonic() + self._ttl / 3
        return token

    async def _take_local(self, wait_seconds: float) -> bool:
        if self._local.locked() and wait_seconds <= 0:
            return False
        try:
            async with asyncio.timeout(wait_seconds):
                await self._local.acquire()
        except TimeoutError:
            return False
        return True

    async def keep(self, token: str) -> bool:
        """Before another pass under the same token: True while it is still held (extended once a third of its ttl
        has gone, so a long run of passes never outlives it); False when it lapsed and another pass may run."""
        if self._monotonic() < self._extend_at:
            return True
        if not await self._cache.extend_lock(self._key, token, self._ttl):
            return False
        self._extend_at = self._monotonic() + self._ttl / 3
        return True

    async def release(self, token: str) -> None:
        try:
            await self._cache.release_lock(self._key, token)
        finally:
            self._local.release()


class PassLoop:
    """Runs `drain` after each wake-up (a commit) or poll, while this process holds the lease. After a failure it
    waits longer each time up to `max_backoff_seconds` (commits do not wake it: each would be one more try at a
    dead dependency); `min_gap_seconds` after every wake-up, or `busy_gap_seconds` after a pass that found work, lets
    the commits that land meanwhile go together (a pass costs its statements whatever its size)."""

    def __init__(
        self,
        name: str,
        drain: Callable[[], Awaitable[object]],
        lease: Lease | None,
        *,
        max_backoff_seconds: float = 0.0,
        min_gap_seconds: float = 0.0,
        busy_gap_seconds: float = 0.0,
        after_pass: Callable[[str | None], Awaitable[None]] | None = None,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._name = name
        self._drain = drain
        self._lease = lease
        self._max_backoff = max_backoff_seconds
        self._min_gap = min_gap_seconds
        self._busy_gap = busy_gap_seconds
        self._pause = pause  # the busy gap's wait (a test holds it)
        self._after_pass = after_pass
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def _leading(self) -> bool:
        try:
            return self._lease is None or await self._lease.hold()
        except DependencyUnavailable as outage:
            logger.warning("lease not checked", loop=self._name, dependency=str(outage), error=outage.reason)
            return False

    async def _pass(self) -> tuple[str | None, bool]:
        """One drain; the reason it failed (or None), and whether it found work."""
        try:
            done = await self._drain()
        except DependencyUnavailable as outage:  # one line a pass, no trace: nothing is lost, it runs again
            logger.warning(f"{self._name} pass failed", dependency=str(outage), error=outage.reason)
            return outage.reason, False
        except Exception as exc:
            logger.exception(f"{self._name} pass failed")
            return type(exc).__name__, False
        return None, bool(done)

    async def run_forever(self, poll_interval_seconds: float = 1.0, max_backoff_seconds: float | None = None) -> None:
        backoff = self._max_backoff if max_backoff_seconds is None else max_backoff_seconds
        failures = 0
        try:
            while True:
                busy = False
                if await self._leading():
                    failure, busy = await self._pass()
                    failures = failures + 1 if failure else 0
                    if self._after_pass is not None:
                        await self._after_pass(failure)
                if failures and backoff:
                    await asyncio.sleep(min(backoff, poll_interval_seconds * 2.0 ** min(failures - 1, 6)))
                    continue
                if busy and self._busy_gap:
                    # under load the next commit comes at once: the ones landing meanwhile make one pass, not one
                    # each (an idle relay still runs at once when woken)
                    await self._pause(self._busy_gap)
                with contextlib.suppress(TimeoutError):
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that arrives just as
                    # the event is set, and the loop would then never stop
                    async with asyncio.timeout(poll_interval_seconds):
                        await self._wake.wait()
                self._wake.clear()
                if self._min_gap:
                    await asyncio.sleep(min(self._min_gap, poll_interval_seconds))
        finally:
            if self._lease is not None and self._lease.held:
                with contextlib.suppress(Exception):  # a standby takes over when the lease lapses anyway
                    await asyncio.shield(self._lease.release())
