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


_texts: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("statement_texts", default=None)


def _recording(method: Callable[..., Awaitable[Any]], text_of: Callable[..., str]) -> Callable[..., Awaitable[Any]]:
    async def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        texts = _texts.get()
        if texts is not None:
            texts.append(text_of(self, *args))
        return await method(self, *args, **kwargs)

    return recorded


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The text of every statement this context sends to PostgreSQL through asyncpg while the block runs, whether
    through SQLAlchemy (its prepared statements) or straight to the driver; BEGIN, COMMIT and ROLLBACK left out."""
    texts: list[str] = []
    patched: list[tuple[Any, str, Any]] = []
    targets: list[tuple[Any, str, Callable[..., str]]] = [
        (asyncpg.Connection, name, lambda _connection, query, *_: str(query))
        for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval")
    ]
    targets += [
        (asyncpg.prepared_stmt.PreparedStatement, name, lambda statement, *_: statement.get_query())
        for name in ("fetch", "executemany")
    ]
    for owner, name, text_of in targets:
        original = owner.__dict__[name]
        patched.append((owner, name, original))
        setattr(owner, name, _recording(original, text_of))
    token = _texts.set(texts)
    try:
        yield texts
    finally:
        _texts.reset(token)
        for owner, name, original in patched:
            setattr(owner, name, original)
        texts[:] = [text for text in texts if not text.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
