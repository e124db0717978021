"""The asyncpg connection under a session, for hot reads where SQLAlchemy's machinery costs more than the query.

A read sent this way before anything else in the block opens no transaction (no BEGIN, no ROLLBACK: one round trip
instead of three); after other statements it runs inside their transaction, on the same connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import PoolProxiedConnection

from src.adapters.sqla.database import UNAVAILABLE_SQLSTATES, UNSTORABLE_TEXT_SQLSTATES
from src.application.shared.errors import DependencyUnavailable
from src.domain.shared.errors import InvalidInput

_LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


class Columns:
    """A driver record read by column name as attributes, as an ORM row is (for the row mappers that read those)."""

    __slots__ = ("_record",)

    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


class StandalonePool(Protocol):
    """Connections for statements that stand alone (`driver_pool.DriverPool`)."""

    async def fetch(self, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]: ...


_STANDALONE = "standalone_pool"  # the session's `info` key: where its statements that stand alone go


def stand_alone_on(session: AsyncSession, pool: StandalonePool) -> None:
    """The session's statements sent before anything begins in it (`driver_fetch`, `standalone_fetch`) go to
    `pool`, not to a connection checked out for the session: no greenlet, pool events or reset for a unit of work
    whose statements each stand alone. Each commits by itself, as it would on the session's connection."""
    session.info[_STANDALONE] = pool


def _standalone_pool(session: AsyncSession) -> StandalonePool | None:
    pool: StandalonePool | None = session.info.get(_STANDALONE)
    return None if pool is None or session.in_transaction() else pool


async def driver_fetch(session: AsyncSession, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
    """The rows of one statement sent straight to asyncpg; a lost or refusing server is DependencyUnavailable,
    as on SQLAlchemy's path."""
    if (pool := _standalone_pool(session)) is not None:
        return await pool.fetch(statement, *arguments)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return await _fetch(raw.driver_connection, statement, arguments)


async def stands_alone(session: AsyncSession) -> bool:
    """Whether a statement sent now is its own transaction (nothing begun in the session's block)."""
    return _standalone_pool(session) is not None or await driver_outside_transaction(session) is not None


async def standalone_fetch(session: AsyncSession, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
    """One statement that commits by itself: on the session's standalone pool, or its connection while no
    transaction is begun on it (ValueError once one is: the statement would not commit)."""
    if (pool := _standalone_pool(session)) is not None:
        return await pool.fetch(statement, *arguments)
    driver = await driver_outside_transaction(session)
    if driver is None:
        raise ValueError("a statement of its own, outside any transaction, sent in a begun one")
    return await _fetch(driver, statement, arguments)


async def pooled_fetch(engine: AsyncEngine, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
    """One statement on a pooled connection, outside any session or transaction: for a read that stands alone
    (a view), where a session's checkout, state changes and reset cost twice the query. Not for a read that must
    see a unit of work's uncommitted writes: that one is `driver_fetch` on the unit's session."""
    raw = await engine.raw_connection()
    try:
        return await _fetch(raw.driver_connection, statement, arguments)
    finally:
        raw.close()  # back to the pool; no transaction was opened, so its reset has nothing to roll back


async def _fetch(driver: asyncpg.Connection, statement: str, arguments: tuple[Any, ...]) -> Sequence[asyncpg.Record]:
    try:
        rows: Sequence[asyncpg.Record] = await driver.fetch(statement, *arguments)
        return rows
    except _LOST as exc:
        raise DependencyUnavailable("database unreachable") from exc
    except asyncpg.PostgresError as exc:
        if str(getattr(exc, "sqlstate", "")).startswith("08") or exc.sqlstate in UNAVAILABLE_SQLSTATES:
            raise DependencyUnavailable("database unreachable") from exc
        if exc.sqlstate in UNSTORABLE_TEXT_SQLSTATES:  # a NUL from a client: its mistake, as on SQLAlchemy's path
            raise InvalidInput("text may not contain NUL or other unstorable characters") from exc
        raise


_RAW = "driver_connection"  # the session's `info` key: (its transaction, the pooled connection under it)


async def _raw_of(session: AsyncSession) -> PoolProxiedConnection:
    """The pooled connection under the session's connection, kept for the session's transaction: a transaction
    keeps its connection, and each lookup costs two greenlet switches (`connection`, then `get_raw_connection`);
    a new transaction looks it up again."""
    kept = session.info.get(_RAW)
    transaction = session.get_transaction()
    if kept is not None and transaction is not None and kept[0] is transaction and transaction.is_active:
        raw: PoolProxiedConnection = kept[1]
        return raw
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    session.info[_RAW] = (session.get_transaction(), raw)
    return raw


async def driver_execute(session: AsyncSession, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
    """One statement of the unit of work's transaction sent straight to asyncpg: for writes (and reads that must be
    in the transaction) on a hot path. The transaction is begun first when nothing has begun it yet, as SQLAlchemy's
    asyncpg adapter does before its own first statement, so a COMMIT or ROLLBACK of the session ends it."""
    raw = await _raw_of(session)
    adapter = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter begins its transaction lazily (`_transaction`, `_start_transaction`); its
    # commit and rollback end the one begun here
    if adapter._transaction is None:  # type: ignore[union-attr]
        try:
            await adapter._start_transaction()  # type: ignore[union-attr]
        except Exception as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, _LOST) or str(getattr(cause, "sqlstate", "")).startswith("08"):
                raise DependencyUnavailable("database unreachable") from exc
            raise
    return await _fetch(raw.driver_connection, statement, arguments)


async def driver_outside_transaction(session: AsyncSession) -> asyncpg.Connection | None:
    """The asyncpg connection under the session while no transaction is begun on it (None otherwise): each
    statement sent on it commits by itself. The session keeps it for its block, as `driver_execute` does."""
    raw = await _raw_of(session)
    driver: asyncpg.Connection = raw.driver_connection
    if raw.dbapi_connection._transaction is not None or driver.is_in_transaction():  # type: ignore[union-attr]
        return None
    return driver


async def fetch_on(driver: asyncpg.Connection, statement: str, *arguments: Any) -> Sequence[asyncpg.Record]:
    """`driver_fetch` on a connection at hand (from `driver_outside_transaction`)."""
    return await _fetch(driver, statement, arguments)


_Parsed = TypeVar("_Parsed")
_parsed: dict[str, tuple[tuple[tuple[Any, ...], ...], list[Any]]] = {}  # statement -> (its rows, their values)


async def driver_parsed(session: AsyncSession, statement: str, parse: Callable[[Columns], _Parsed]) -> list[_Parsed]:
    """`driver_execute`, each row parsed by `parse`; parsed again only when the rows differ from the last ones the
    same statement read in this process: for definitions every relay pass reads whole (missions, achievements,
    battle pass seasons, season boards), where parsing cost more than the read. The parsed values must be immutable
    (they are shared); the list is the caller's own."""
    records = await driver_execute(session, statement)
    rows = tuple(tuple(record) for record in records)
    kept = _parsed.get(statement)
    if kept is None or kept[0] != rows:
        kept = _parsed[statement] = (rows, [parse(Columns(record)) for record in records])
    return list(kept[1])
