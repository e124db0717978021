"""Engine and sessions through advanced-alchemy; the same code serves PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

import asyncpg
from advanced_alchemy.config import SQLAlchemyAsyncConfig
from advanced_alchemy.config.engine import EngineConfig
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from src.application.shared.errors import DependencyUnavailable
from src.domain.shared.errors import InvalidInput

# PostgreSQL text cannot hold these (a NUL character, say); they come from a client, so they are its mistake
UNSTORABLE_TEXT_SQLSTATES = frozenset({"22021", "22P05"})
# the server is gone, going or full: class 08 (connection exception), shutdowns, starting up, too many connections
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; busy_timeout queues writers instead of failing them.
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock when a transaction starts, so read-then-write transactions queue up
    # behind each other instead of failing with SQLITE_BUSY when they try to upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_unstorable_text(context: ExceptionContext) -> None:
    if getattr(context.original_exception, "sqlstate", None) in UNSTORABLE_TEXT_SQLSTATES:
        raise InvalidInput("text may not contain NUL or other unstorable characters") from context.original_exception


def _unavailable_when_disconnected(context: ExceptionContext) -> None:
    """A lost connection or a server that refuses new work; a bad statement or a constraint stays itself."""
    if not isinstance(context.original_exception, Exception):
        # a cancelled task (CancelledError) also leaves its connection in doubt, so SQLAlchemy calls it a
        # disconnect; it must stay a cancellation, or the task that was told to stop would carry on
        return
    sqlstate = str(getattr(context.original_exception, "sqlstate", None) or "")
    if context.is_disconnect or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES:
        raise DependencyUnavailable("database unreachable") from context.original_exception


def _connect_or_unavailable(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """A refused, unresolvable or timed-out connect reaches us as a bare OSError, past `handle_error`."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise DependencyUnavailable("database unreachable") from exc


class PoolQueueFull(Exception):
    """As many requests already wait for a pooled connection as the pool may keep waiting."""


class BusyAwarePool(AsyncAdaptedQueuePool):
    """A checkout that waited the pool's whole timeout met an overloaded database, not a bug: DependencyUnavailable
    (503 with Retry-After) instead of SQLAlchemy's TimeoutError, which answered 500 under overload.

    `max_waiting` sheds load before that: a checkout that finds every connection taken and that many checkouts
    already waiting is refused at once, so an overloaded process answers 503 in microseconds instead of making each
    extra request wait out the timeout (a client has usually given up by then). A class attribute, not an argument:
    the engine recreates a pool from its class alone (after a disconnect), and the bound must survive that.
    """

    max_waiting: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Checkouts blocked for a connection right now."""
        return self._waiting

    @classmethod
    def bounded(cls, max_waiting: int | None) -> type[BusyAwarePool]:
        return type(cls.__name__, (cls,), {"max_waiting": max_waiting})

    def _do_get(self) -> ConnectionPoolEntry:
        exhausted = self._pool.empty() and self._overflow >= self._max_overflow
        if exhausted and self.max_waiting is not None and self._waiting >= self.max_waiting:
            raise DependencyUnavailable("database busy") from PoolQueueFull()
        # a checkout that finds a connection returns without yielding to the loop, so only the blocked ones stay
        # counted while others run
        self._waiting += 1
        try:
            return super()._do_get()
        except sa_exc.TimeoutError as exc:
            raise DependencyUnavailable("database busy") from exc
        finally:
            self._waiting -= 1


class SqlaDatabase:
    """Owns the engine; built without I/O, connections open on first use."""

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        echo: bool = False,
        pool_timeout: int = 10,
        pool_max_waiting: int | None = None,
    ) -> None:
        self.url = url
        is_sqlite = url.startswith("sqlite")
        self.on_postgres = url.startswith("postgresql")
        engine_config = (
            EngineConfig(echo=echo)
            if is_sqlite
            # no pre-ping: it costs three round trips per checkout; stale connections are recycled instead,
            # and a connection that died anyway fails one request, which is released and can be retried
            # no overflow either: overflow connections are opened and closed under load, and opening a
            # connection (TLS probe, auth, type introspection) costs far more than waiting for a pooled one
            else EngineConfig(
                echo=echo,
                poolclass=BusyAwarePool.bounded(pool_max_waiting),
                pool_size=pool_size,
                max_overflow=0,
                pool_recycle=1800,
                pool_timeout=pool_timeout,
            )
        )
        self._config = SQLAlchemyAsyncConfig(
            connection_string=url,
            engine_config=engine_config,
        )
        self.engine: AsyncEngine = self._config.get_engine()
        if is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        else:
            event.listen(self.engine.sync_engine, "handle_error", _refuse_unstorable_text)
            event.listen(self.engine.sync_engine, "handle_error", _unavailable_when_disconnected)
            event.listen(self.engine.sync_engine, "do_connect", _connect_or_unavailable)
        self.session_factory = async_sessionmaker(self.engine, expire_on_commit=False)
        _, params = self.engine.dialect.create_connect_args(self.engine.url)
        # what SQLAlchemy's asyncpg adapter takes for itself before it calls asyncpg.connect with the rest
        self._driver_params = {
            key: value
            for key, value in params.items()
            if key not in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")
        }

    async def connect_driver(self) -> asyncpg.Connection:
        """A new asyncpg connection outside the engine's pool, to the same server with the same arguments
        (PostgreSQL only): for a pool of driver connections of its own (`DriverPool`)."""
        connection: asyncpg.Connection = await asyncpg.connect(**self._driver_params)
        return connection

    async def dispose(self) -> None:
        await self.engine.dispose()


class SqlaDatabaseProbe:
    name = "database"

    def __init__(self, database: SqlaDatabase) -> None:
        self._database = database

    async def check(self) -> None:
        async with self._database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
