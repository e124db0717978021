"""A few asyncpg connections of their own for standalone statements: one statement, no transaction, no session.

SQLAlchemy's pool checkout costs more than a one-row read: each `engine.raw_connection()` runs in a new greenlet
(whose first frame maps a fresh 16 KiB frame stack and unmaps it at the end: two system calls and page faults),
fires the pool's checkout and checkin events, and resets the connection on return. Here a checkout is a list pop
while a connection is idle, and a statement goes straight to asyncpg, prepared once per connection (asyncpg's
statement cache). Errors read as on SQLAlchemy's path (`driver.fetch_on`); a connection that failed below the
statement (lost, cancelled mid-query) is closed, never reused. Like the engine's pool: a bounded size, a wait of
at most `timeout` seconds for a connection (then DependencyUnavailable, 503), at most `max_waiting` waiting
(more are refused at once), connections replaced after `recycle_seconds`, nothing opened before the first use.
A connection that comes back goes to the waiting checkout whose work began first (`WORK_BEGAN`: the request's
arrival), so a request's later statements do not queue behind requests that came after it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from src.adapters.sqla.database import PoolQueueFull
from src.adapters.sqla.driver import _LOST, fetch_on
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.scheduling import WORK_BEGAN
from src.domain.shared.errors import InvalidInput

Connect = Callable[[], Awaitable[asyncpg.Connection]]
RECYCLE_SECONDS = 1800.0  # as the engine's pool_recycle
CLOSE_TIMEOUT_SECONDS = 5.0


class DriverPool:
    def __init__(
        self,
        connect: Connect,
        size: int,
        timeout: float,
        max_waiting: int | None = None,
        recycle_seconds: float = RECYCLE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._size = size
        self._timeout = timeout
        self._max_waiting = max_waiting
        self._recycle = recycle_seconds
        self._monotonic = monotonic
        self._idle: list[asyncpg.Connection] = []
        self._born: dict[asyncpg.Connection, float] = {}  # every open connection, idle or in use
        self._opening = 0
        # checkouts waiting for a connection, in the order of their deadlines (loop time), which is the order they
        # came in: one timer for the earliest deadline instead of one per checkout
        self._waiters: deque[tuple[float, asyncio.Future[asyncpg.Connection]]] = deque()
        # the same checkouts in the order they are served: their work's beginning, then their arrival (one that
        # was served or gave up stays until it comes up, and is passed over then)
        self._turns: list[tuple[float, int, asyncio.Future[asyncpg.Connection]]] = []
        self._arrivals = itertools.count()
        self._waiting = 0  # checkouts waiting now (the two lists above also hold some that are not, until they pass)
        self._expiry: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    def open_connections(self) -> int:
        return len(self._born)

    def idle_connections(self) -> int:
        return len(self._idle)

    async def fetch(self, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
        """The rows of one statement, on its own (autocommit): not for what must see a unit of work's writes."""
        connection = self._take_idle() or await self._checkout()
        try:
            rows = await fetch_on(connection, statement, *arguments)
        except asyncpg.InternalClientError as exc:  # in no state to run a statement (the server ended it meanwhile)
            self._discard(connection, broken=True)
            raise DependencyUnavailable("database unreachable") from exc
        except (asyncpg.PostgresError, InvalidInput):
            self._checkin(connection)  # the statement failed, not the connection (no transaction is left open)
            raise
        except BaseException:
            self._discard(connection, broken=True)  # lost, or cancelled mid-statement: in no state to reuse
            raise
        self._checkin(connection)
        return rows

    async def close(self) -> None:
        """Close the idle connections now and the others as they come back; waiting checkouts are refused."""
        self._closed = True
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        while self._waiters:
            _, waiter = self._waiters.popleft()
            self._end_wait(waiter, DependencyUnavailable("database pool closed"))
        self._turns.clear()
        idle, self._idle = self._idle, []
        for connection in idle:
            self._discard(connection)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _take_idle(self) -> asyncpg.Connection | None:
        while self._idle:
            connection = self._idle.pop()  # the most recently used: its statements are prepared, its buffers warm
            if self._fresh(connection):
                return connection
            self._discard(connection)
        return None

    def _fresh(self, connection: asyncpg.Connection) -> bool:
        born = self._born.get(connection)
        return born is not None and not connection.is_closed() and self._monotonic() - born < self._recycle

    async def _checkout(self) -> asyncpg.Connection:
        if self._closed:
            raise DependencyUnavailable("database pool closed")
        if len(self._born) + self._opening < self._size:
            return await self._open()
        if self._max_waiting is not None and self._waiting >= self._max_waiting:
            raise DependencyUnavailable("database busy") from PoolQueueFull()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection] = loop.create_future()
        deadline = loop.time() + self._timeout
        self._waiters.append((deadline, waiter))
        began = WORK_BEGAN.get()
        heapq.heappush(self._turns, (time.monotonic() if began is None else began, next(self._arrivals), waiter))
        self._waiting += 1
        if self._expiry is None:
            self._expiry = loop.call_at(deadline, self._expire)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._checkin(waiter.result())  # handed over just as the wait was given up: pass it on
            elif not waiter.done() or waiter.cancelled():  # given up while waiting (its task cancelled)
                waiter.cancel()
                self._waiting -= 1
            raise

    def _expire(self) -> None:
        """The waiting checkouts whose deadline passed are refused (busy); the timer moves to the next deadline."""
        self._expiry = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._waiters:
            deadline, waiter = self._waiters[0]
            if not waiter.done() and deadline > now:
                self._expiry = loop.call_at(deadline, self._expire)
                return
            self._waiters.popleft()
            busy = DependencyUnavailable("database busy")
            busy.__cause__ = TimeoutError()  # as the engine's pool: waited out its timeout
            self._end_wait(waiter, busy)

    async def _open(self) -> asyncpg.Connection:
        self._opening += 1
        try:
            connection = await self._connect()
        except (*_LOST, TimeoutError) as exc:
            raise DependencyUnavailable("database unreachable") from exc
        finally:
            self._opening -= 1
        self._born[connection] = self._monotonic()
        return connection

    def _checkin(self, connection: asyncpg.Connection) -> None:
        if self._closed or not self._fresh(connection):
            self._discard(connection)
            return
        while self._turns:
            _, _, waiter = heapq.heappop(self._turns)
            if self._end_wait(waiter, connection):
                return
        self._idle.append(connection)

    def _end_wait(
        self, waiter: asyncio.Future[asyncpg.Connection], outcome: asyncpg.Connection | BaseException
    ) -> bool:
        """The checkout's wait ends with a connection or an error; False when it had ended already."""
        if waiter.done():
            return False
        self._waiting -= 1
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)
        return True

    def _discard(self, connection: asyncpg.Connection, broken: bool = False) -> None:
        """Close it (in the background, or at once when broken); a checkout waiting for a connection gets a new one."""
        self._born.pop(connection, None)
        if broken or connection.is_closed():
            connection.terminate()
        else:
            task = asyncio.get_running_loop().create_task(_close(connection))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if self._waiting and not self._closed and len(self._born) + self._opening < self._size:
            opener = asyncio.get_running_loop().create_task(self._open_for_waiter())
            self._closing.add(opener)
            opener.add_done_callback(self._closing.discard)

    async def _open_for_waiter(self) -> None:
        try:
            connection = await self._open()
        except DependencyUnavailable as exc:
            while self._waiters:
                _, waiter = self._waiters.popleft()
                if self._end_wait(waiter, exc):
                    return
            return
        self._checkin(connection)


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await connection.close(timeout=CLOSE_TIMEOUT_SECONDS)
    except (*_LOST, TimeoutError, asyncpg.PostgresError):  # a lost connection cannot say goodbye: drop it
        connection.terminate()
