"""In-process cache for the embedded default and for unit tests; same contract as RedisCache."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from src.application.shared.ports import RateLimitDecision


@dataclass(slots=True)
class _Entry:
    value: str
    expires_at: float | None


@dataclass(slots=True)
class _Attempts:
    """One key's attempt window: running and failed attempts by when they started or failed, and its lock."""

    running: dict[str, float] = field(default_factory=dict)
    failed: dict[str, float] = field(default_factory=dict)
    locked_until: float = 0.0

    def trim(self, now: float, window_seconds: float) -> None:
        for seen in (self.running, self.failed):
            for attempt in [a for a, at in seen.items() if at <= now - window_seconds]:
                del seen[attempt]

    def count(self) -> int:
        return len(self.running) + len(self.failed)

    def oldest(self, default: float) -> float:
        return min((*self.running.values(), *self.failed.values()), default=default)


def _retry_seconds(seconds: float) -> float:
    return math.ceil(max(0.0, seconds) * 1000) / 1000


class InMemoryCache:
    """Operations that read and then write have no `await` in between, so each is atomic on the event loop.

    Time is read from `monotonic` (seconds), which tests replace to move time instead of waiting for it."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._values: dict[str, _Entry] = {}
        self._windows: dict[str, dict[str, float]] = {}
        self._attempts: dict[str, _Attempts] = {}
        self._lock = asyncio.Lock()

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._values.get(key)
        if entry is not None and entry.expires_at is not None and entry.expires_at <= now:
            del self._values[key]
            return None
        return entry

    @staticmethod
    def _deadline(now: float, ttl_seconds: float | None) -> float | None:
        return None if ttl_seconds is None else now + ttl_seconds

    async def get(self, key: str) -> str | None:
        entry = self._live(key, self._monotonic())
        return None if entry is None else entry.value

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        now = self._monotonic()
        self._values[key] = _Entry(value, self._deadline(now, ttl_seconds))

    async def set_if_absent(self, key: str, value: str, ttl_seconds: float) -> bool:
        now = self._monotonic()
        if self._live(key, now) is not None:
            return False
        self._values[key] = _Entry(value, self._deadline(now, ttl_seconds))
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)
        self._windows.pop(key, None)
        self._attempts.pop(key, None)

    async def ttl(self, key: str) -> float | None:
        now = self._monotonic()
        entry = self._live(key, now)
        if entry is None or entry.expires_at is None:
            return None
        return entry.expires_at - now

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        now = self._monotonic()
        entry = self._live(key, now)
        if entry is None:
            entry = _Entry("0", self._deadline(now, ttl_seconds))
            self._values[key] = entry
        entry.value = str(int(entry.value) + amount)
        return int(entry.value)

    async def acquire_lock(self, key: str, ttl_seconds: float) -> str | None:
        token = secrets.token_hex(16)
        return token if await self.set_if_absent(key, token, ttl_seconds) else None

    async def release_lock(self, key: str, token: str) -> bool:
        entry = self._live(key, self._monotonic())
        if entry is None or entry.value != token:
            return False
        del self._values[key]
        return True

    async def extend_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        now = self._monotonic()
        entry = self._live(key, now)
        if entry is None or entry.value != token:
            return False
        entry.expires_at = now + ttl_seconds
        return True

    def _trimmed_window(self, key: str, now: float, window_seconds: float) -> dict[str, float]:
        window = self._windows.setdefault(key, {})
        for member in [m for m, seen_at in window.items() if seen_at <= now - window_seconds]:
            del window[member]
        return window

    async def hit_rate_limit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        async with self._lock:
            now = self._monotonic()
            window = self._trimmed_window(key, now, window_seconds)
            if len(window) < limit:
                window[secrets.token_hex(8)] = now
                return RateLimitDecision(allowed=True, count=len(window), retry_after_seconds=0.0)
            oldest = min(window.values(), default=now)
            retry_after = max(0.0, oldest + window_seconds - now)
            return RateLimitDecision(
                allowed=False, count=len(window), retry_after_seconds=math.ceil(retry_after * 1000) / 1000
            )

    async def add_to_window(self, key: str, member: str, window_seconds: float) -> int:
        async with self._lock:
            now = self._monotonic()
            window = self._trimmed_window(key, now, window_seconds)
            window[member] = now
            return len(window)

    async def add_to_windows(self, entries: Sequence[tuple[str, str]], window_seconds: float) -> list[int]:
        return [await self.add_to_window(key, member, window_seconds) for key, member in entries]

    async def reserve_attempt(self, key: str, attempt: str, limit: int, window_seconds: float) -> RateLimitDecision:
        now = self._monotonic()
        attempts = self._attempts.setdefault(key, _Attempts())
        if attempts.locked_until > now:
            return RateLimitDecision(
                allowed=False, count=0, retry_after_seconds=_retry_seconds(attempts.locked_until - now)
            )
        attempts.trim(now, window_seconds)
        count = attempts.count()
        if count >= limit:
            retry_after = attempts.oldest(default=now) + window_seconds - now
            return RateLimitDecision(allowed=False, count=count, retry_after_seconds=_retry_seconds(retry_after))
        attempts.running[attempt] = now
        return RateLimitDecision(allowed=True, count=count + 1, retry_after_seconds=0.0)

    async def fail_attempt(
        self, key: str, attempt: str, limit: int, window_seconds: float, lock_seconds: float
    ) -> bool:
        now = self._monotonic()
        attempts = self._attempts.setdefault(key, _Attempts())
        if attempts.locked_until > now:
            return False
        attempts.trim(now, window_seconds)
        attempts.running.pop(attempt, None)
        attempts.failed[attempt] = now
        if len(attempts.failed) < limit:
            return False
        self._attempts[key] = _Attempts(locked_until=now + lock_seconds)
        return True

    async def release_attempt(self, key: str, attempt: str, *, forget_failures: bool = False) -> None:
        attempts = self._attempts.get(key)
        if attempts is None:
            return
        attempts.running.pop(attempt, None)
        if forget_failures:
            attempts.failed.clear()
        if attempts.count() == 0 and attempts.locked_until <= self._monotonic():
            del self._attempts[key]  # nothing left to remember: keys of one-off attempts do not pile up

    async def ping(self) -> None:
        return None
