"""In-process cache for the embedded default and for unit tests; same contract as RedisCache."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from dataclasses import dataclass

from src.application.shared.ports import RateLimitDecision


@dataclass(slots=True)
class _Entry:
    value: str
    expires_at: float | None


class InMemoryCache:
    def __init__(self) -> None:
        self._values: dict[str, _Entry] = {}
        self._windows: dict[str, dict[str, float]] = {}
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
        entry = self._live(key, time.monotonic())
        return None if entry is None else entry.value

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        now = time.monotonic()
        self._values[key] = _Entry(value, self._deadline(now, ttl_seconds))

    async def set_if_absent(self, key: str, value: str, ttl_seconds: float) -> bool:
        now = time.monotonic()
        if self._live(key, now) is not None:
            return False
        self._values[key] = _Entry(value, self._deadline(now, ttl_seconds))
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)
        self._windows.pop(key, None)

    async def ttl(self, key: str) -> float | None:
        now = time.monotonic()
        entry = self._live(key, now)
        if entry is None or entry.expires_at is None:
            return None
        return entry.expires_at - now

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        now = time.monotonic()
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
        entry = self._live(key, time.monotonic())
        if entry is None or entry.value != token:
            return False
        del self._values[key]
        return True

    def _trimmed_window(self, key: str, now: float, window_seconds: float) -> dict[str, float]:
        window = self._windows.setdefault(key, {})
        for member in [m for m, seen_at in window.items() if seen_at <= now - window_seconds]:
            del window[member]
        return window

    async def hit_rate_limit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        async with self._lock:
            now = time.monotonic()
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
            now = time.monotonic()
            window = self._trimmed_window(key, now, window_seconds)
            window[member] = now
            return len(window)

    async def ping(self) -> None:
        return None
