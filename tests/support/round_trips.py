"""Round trips counted where they happen: every asyncpg call that runs a statement (BEGIN and COMMIT included),
every Redis command and pipeline, in the counting task's context only (a context variable), so work running beside
it (another request, a relay pass) is not mixed in. The census (tests/bench/census.py) and statement-count tests
use it."""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import asyncpg.prepared_stmt
from redis.asyncio.client import Pipeline, Redis

_bucket: contextvars.ContextVar[Counter[str] | None] = contextvars.ContextVar("round_trips", default=None)


def _counting(kind: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        bucket = _bucket.get()
        if bucket is not None:
            bucket[kind] += 1
        return await method(*args, **kwargs)

    return counted


@contextmanager
def instrumented() -> Iterator[None]:
    """While open, `counted` sees the round trips ("statements", "redis_commands", "redis_round_trips")."""
    patched: list[tuple[Any, str, Any]] = []
    targets = [
        (asyncpg.Connection, name, "statements") for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval")
    ]
    targets += [
        (asyncpg.prepared_stmt.PreparedStatement, name, "statements")
        for name in ("fetch", "fetchrow", "fetchval", "executemany")
    ]
    targets += [(Redis, "execute_command", "redis_commands"), (Pipeline, "execute", "redis_round_trips")]
    for owner, name, kind in targets:
        original = owner.__dict__[name]
        patched.append((owner, name, original))
        setattr(owner, name, _counting(kind, original))
    try:
        yield
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)


async def counted(action: Callable[[], Awaitable[Any]]) -> Counter[str]:
    """The round trips `action` makes, by kind (inside `instrumented`)."""
    bucket: Counter[str] = Counter()
    token = _bucket.set(bucket)
    try:
        await action()
    finally:
        _bucket.reset(token)
    return bucket
