"""Contention that really happens: a transaction holds its lock until another waits for it, not a guessed time.

A contract test of a concurrency rule starts several units of work at once, and one that took a row must keep its
transaction open until another has come to wait for it (or none can: each has ended or holds a row too). On
PostgreSQL the waiting is seen in `pg_stat_activity`. In one process (the in-memory store) a contender still
pending once the event loop has gone round is waiting for a lock. SQLite runs every transaction as BEGIN IMMEDIATE:
the others wait to begin, which nobody can see, and they could not overlap anyway, so there is nothing to wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text

from src.adapters.sqla.uow import SqlaUnitOfWork
from tests.support.polling import eventually

T = TypeVar("T")
Hold = Callable[[Any], Awaitable[None]]
DEADLINE_SECONDS = 10.0
_WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")


async def lock_waiters(uow: Any) -> int | None:
    """Backends of this PostgreSQL database waiting for a lock now; None on the stores where it cannot be seen."""
    if not (isinstance(uow, SqlaUnitOfWork) and uow.on_postgres):
        return None
    await uow.session.execute(text("SELECT pg_stat_clear_snapshot()"))  # activity is read once per transaction
    return int((await uow.session.execute(_WAITING)).scalar_one())


async def until_waiting(uow: Any) -> None:
    """Until a transaction waits for a lock (as `uow`'s database shows it); one turn of the event loop in memory."""
    await _until_one_waits(uow, lambda: 1)


async def contend(*bodies: Callable[[Hold], Awaitable[T]]) -> list[T]:
    """Run the bodies at once (their results in order). Each calls `await hold(uow)` where it keeps its transaction
    open: that returns once another body waits for a lock, or none can any more (each has ended or holds too)."""
    ended = holding = 0

    async def hold(uow: Any) -> None:
        nonlocal holding
        holding += 1
        try:
            await _until_one_waits(uow, lambda: len(bodies) - ended - holding)
        finally:
            holding -= 1

    async def one(body: Callable[[Hold], Awaitable[T]]) -> T:
        nonlocal ended
        try:
            return await body(hold)
        finally:
            ended += 1

    return list(await asyncio.gather(*(one(body) for body in bodies)))


async def _until_one_waits(uow: Any, running: Callable[[], int]) -> None:
    """`running()`: how many others may still come to wait."""
    looked = False

    async def one_waits() -> bool:
        nonlocal looked
        if running() <= 0:
            return True
        waiting = await lock_waiters(uow)
        if waiting is None:  # memory: pending after one turn of the loop means waiting; SQLite: see above
            seen, looked = looked or _is_sqlite(uow), True
            return seen
        return waiting > 0

    await eventually(one_waits, deadline=DEADLINE_SECONDS, interval=0.005)


def _is_sqlite(uow: Any) -> bool:
    return isinstance(uow, SqlaUnitOfWork) and not uow.on_postgres
