"""Ports every context uses: time, ids, transactions, cache, and health probes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from src.domain.shared.events import DomainEvent


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


class EventInbox(Protocol):
    """A consumer's record of the events it has handled, kept in its own transaction, so a redelivered event is
    recognised and handled once."""

    async def first_events(self, consumer: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        """Record that `consumer` handled these events (one write); the ids it had not handled before."""
        ...

    async def forget_events(self, consumer: str, before: datetime) -> int:
        """Drop the inbox marks `consumer` wrote before `before` (no event is redelivered that late); how many."""
        ...


class UnitOfWork(Protocol):
    """One atomic change: leaving the block without `commit()` rolls everything back.

    Events passed to `record` are stored in the outbox by `commit`, in the same transaction.
    """

    def record(self, event: DomainEvent) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    allowed: bool
    count: int
    retry_after_seconds: float


class Cache(Protocol):
    """Shared short-lived state: values with TTL, counters, locks, sliding windows.

    With Redis it holds across processes; the database stays the record of anything that matters.
    """

    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of `keys` in their order (None where absent), read in one round trip."""
        ...

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None: ...

    async def set_if_absent(self, key: str, value: str, ttl_seconds: float) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def ttl(self, key: str) -> float | None:
        """Seconds left before `key` expires; None when it does not exist or never expires."""
        ...

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        """Atomically add to a counter; a new counter expires after `ttl_seconds` (a fixed window)."""
        ...

    async def acquire_lock(self, key: str, ttl_seconds: float) -> str | None:
        """Take a lock that frees itself after `ttl_seconds`; returns the owner token, None when held."""
        ...

    async def release_lock(self, key: str, token: str) -> bool:
        """Release only when `token` still owns the lock."""
        ...

    async def extend_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        """Make the lock free itself `ttl_seconds` from now, only when `token` still owns it (a lease renewed)."""
        ...

    async def hit_rate_limit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        """Count one hit in a sliding window; refused hits are not counted."""
        ...

    async def add_to_window(self, key: str, member: str, window_seconds: float) -> int:
        """Record `member` now in a sliding window; return the distinct members seen in the window."""
        ...

    async def add_to_windows(self, entries: Sequence[tuple[str, str]], window_seconds: float) -> list[int]:
        """`add_to_window` for each (key, member) at once, in one round trip: the counts in the entries' order."""
        ...

    async def reserve_attempt(self, key: str, attempt: str, limit: int, window_seconds: float) -> RateLimitDecision:
        """Atomically give `attempt` a slot unless `key` is locked or `limit` attempts (running or failed) are in
        the sliding window; a refusal's retry is when the lock ends or the oldest attempt leaves the window."""
        ...

    async def fail_attempt(
        self, key: str, attempt: str, limit: int, window_seconds: float, lock_seconds: float
    ) -> bool:
        """The attempt keeps its slot as a failure; the `limit`-th failure in the window locks `key` for
        `lock_seconds` and empties the window (returns True). Does nothing while `key` is locked."""
        ...

    async def release_attempt(self, key: str, attempt: str, *, forget_failures: bool = False) -> None:
        """Free the attempt's slot; with `forget_failures` the window's failures go too (other running attempts
        keep their slots). A slot never settled leaves with the window."""
        ...

    async def ping(self) -> None: ...


class HealthProbe(Protocol):
    """A dependency the service needs; `check` raises when it cannot be reached."""

    name: str

    async def check(self) -> None: ...


@dataclass(frozen=True)
class GaugeSample:
    """One operational measurement at scrape time, e.g. ("outbox_backlog", {}, 12.0)."""

    name: str
    labels: dict[str, str]
    value: float


class GaugeSource(Protocol):
    """Something an operator watches that only an adapter can measure (a backlog, a queue, a pool)."""

    async def sample(self) -> Sequence[GaugeSample]: ...


class InvalidationChannel(Protocol):
    """Tells every process that cached entries went stale (Redis pub/sub across processes; a call in one)."""

    async def publish(self, keys: Sequence[str]) -> None: ...

    async def listen(self, on_stale: Callable[[list[str]], None], on_ready: Callable[[bool], None]) -> None:
        """Run until cancelled: `on_ready(True)` once messages are heard, `on_ready(False)` when the channel is lost
        (messages may have been missed meanwhile), `on_stale(keys)` for each message."""
        ...
