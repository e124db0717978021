"""Idempotency records in the database: a primary key per (user, route, key) makes the claim atomic.

`SqlaIdempotencyStore` runs its own transactions; `SqlaIdempotencyRecords` writes in a unit of work's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache

from asyncpg import Record
from sqlalchemy import ColumnElement, and_, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from src.adapters.sqla.driver import StandalonePool, driver_execute, pooled_fetch
from src.adapters.sqla.models.idempotency import IdempotencyRecordRow as Row
from src.adapters.sqla.pg_outbox import event_parameters, outbox_cte
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.shared.idempotency import (
    Begin,
    BeginOutcome,
    HeldAnswer,
    IdempotencyScope,
    KeyEntry,
    StoredResponse,
)
from src.domain.shared.events import DomainEvent

IN_FLIGHT, COMPLETED = "in_flight", "completed"

# PostgreSQL: a fresh key claimed in one statement that is its own transaction (no session, BEGIN or COMMIT)
_PG_CLAIM = """
INSERT INTO idempotency_records (user_id, route, key, fingerprint, state, created_at, expires_at)
VALUES ($1, $2, $3, $4, 'in_flight', $5, $6) ON CONFLICT DO NOTHING RETURNING true
"""
# PostgreSQL: the request's own claim completed in the unit of work's transaction, on the driver
_PG_COMPLETE_OWN = """
UPDATE idempotency_records SET state = 'completed', status_code = $5, response_body = $6
WHERE user_id = $1 AND route = $2 AND key = $3 AND state = 'in_flight' AND created_at = $4 AND fingerprint = $7
RETURNING true
"""
_COMPLETE_PARAMETERS = 7
# PostgreSQL: a key's answer stored after its work, in one statement that is its own transaction
_PG_COMPLETE = """
UPDATE idempotency_records SET state = 'completed', status_code = $4, response_body = $5
WHERE user_id = $1 AND route = $2 AND key = $3
"""


@cache
def _pg_complete_own(events: int) -> str:
    """The completion with the unit's events recorded so far riding on it (written whether or not the claim was
    still the request's own: they belong to the work, which commits either way)."""
    return f"WITH {outbox_cte(_COMPLETE_PARAMETERS + 1, events)}{_PG_COMPLETE_OWN}" if events else _PG_COMPLETE_OWN


@cache
def held_completion_cte(first: int) -> str:
    """`completion AS (…)`: a held answer stored on the request's own claim once per row of a `wallet` CTE, the
    number in its body that row's balance; answers `answered` (true). Parameters from `$first`, in the order of
    `held_completion_parameters`."""
    user, route, key, created_at, fingerprint, status, head, tail = (f"${first + n}" for n in range(8))
    return f"""completion AS (
    UPDATE idempotency_records SET state = 'completed', status_code = {status},
        response_body = {head}::bytea || convert_to(wallet.balance::text, 'UTF8') || {tail}::bytea
    FROM wallet
    WHERE user_id = {user} AND route = {route} AND key = {key} AND state = 'in_flight'
      AND created_at = {created_at} AND fingerprint = {fingerprint}
    RETURNING true AS answered
)"""  # noqa: S608 - numbered placeholders only


def held_completion_parameters(held: HeldAnswer) -> tuple[object, ...]:
    entry = held.entry
    scope = entry.scope
    return (
        scope.user_id,
        scope.route,
        scope.key,
        entry.created_at,
        entry.fingerprint,
        entry.response.status_code,
        held.head,
        held.tail,
    )


def _is(scope: IdempotencyScope) -> ColumnElement[bool]:
    return and_(Row.user_id == scope.user_id, Row.route == scope.route, Row.key == scope.key)


def _abandoned(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
    """An expired record, or one in flight since before `stale_before` (its process died): free to take over."""
    return or_(Row.expires_at <= now, and_(Row.state == IN_FLIGHT, Row.created_at < stale_before))


async def _add_completed(session: AsyncSession, entry: KeyEntry) -> bool:
    """One statement: insert the completed record, or replace an abandoned one; True when written."""
    scope, response = entry.scope, entry.response
    values = {
        "fingerprint": entry.fingerprint,
        "state": COMPLETED,
        "status_code": response.status_code,
        "response_body": response.body,
        "created_at": entry.created_at,
        "expires_at": entry.expires_at,
    }
    insert = dialect_insert(session)(Row).values(user_id=scope.user_id, route=scope.route, key=scope.key, **values)
    upsert = insert.on_conflict_do_update(
        index_elements=[Row.user_id, Row.route, Row.key],
        set_=values,
        where=_abandoned(entry.created_at, entry.stale_before),
    )
    return bool((await session.execute(upsert)).rowcount)  # type: ignore[attr-defined]


def _known(row: Row, fingerprint: str) -> Begin:
    if row.fingerprint != fingerprint:
        return Begin(BeginOutcome.KEY_REUSED)
    if row.state == IN_FLIGHT or row.status_code is None or row.response_body is None:
        return Begin(BeginOutcome.IN_PROGRESS)
    return Begin(BeginOutcome.REPLAY, StoredResponse(row.status_code, row.response_body))


class SqlaIdempotencyStore:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], standalone: StandalonePool | None = None
    ) -> None:
        """`standalone`: where the PostgreSQL claim and completion go (else a connection of the engine's pool)."""
        self._sessions = session_factory
        bind = session_factory.kw.get("bind")
        self._pg = bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql" else None
        self._standalone = standalone

    async def _pg_fetch(self, engine: AsyncEngine, statement: str, *arguments: object) -> Sequence[Record]:
        if self._standalone is not None:
            return await self._standalone.fetch(statement, *arguments)
        return await pooled_fetch(engine, statement, *arguments)

    async def begin(
        self, scope: IdempotencyScope, fingerprint: str, now: datetime, expires_at: datetime, stale_before: datetime
    ) -> Begin:
        if self._pg is not None and await self._pg_fetch(
            self._pg, _PG_CLAIM, scope.user_id, scope.route, scope.key, fingerprint, now, expires_at
        ):
            return Begin(BeginOutcome.STARTED)  # a fresh key: the usual case, one statement
        fresh = {"fingerprint": fingerprint, "state": IN_FLIGHT, "created_at": now, "expires_at": expires_at}
        # a second round covers a record released (deleted) between our failed claim and our read
        for _ in range(2):
            async with self._sessions() as session:
                if await self._claim(session, scope, fresh, now, stale_before):
                    await session.commit()
                    return Begin(BeginOutcome.STARTED)
                row = (await session.execute(select(Row).where(_is(scope)))).scalar_one_or_none()
            if row is not None:
                return _known(row, fingerprint)
        return Begin(BeginOutcome.IN_PROGRESS)

    @staticmethod
    async def _claim(
        session: AsyncSession, scope: IdempotencyScope, fresh: dict[str, object], now: datetime, stale_before: datetime
    ) -> bool:
        """Insert the record, or take over an expired or abandoned one; True when this request owns the key."""
        claim = dialect_insert(session)(Row).values(user_id=scope.user_id, route=scope.route, key=scope.key, **fresh)
        if (await session.execute(claim.on_conflict_do_nothing())).rowcount:  # type: ignore[attr-defined]
            return True
        taken_over = await session.execute(
            update(Row)
            .where(_is(scope), _abandoned(now, stale_before))
            .values(status_code=None, response_body=None, **fresh)
        )
        return bool(taken_over.rowcount)  # type: ignore[attr-defined]

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        if self._pg is not None:  # one round trip, no session, BEGIN or COMMIT
            await self._pg_fetch(
                self._pg, _PG_COMPLETE, scope.user_id, scope.route, scope.key, response.status_code, response.body
            )
            return
        async with self._sessions() as session:
            await session.execute(
                update(Row)
                .where(_is(scope))
                .values(state=COMPLETED, status_code=response.status_code, response_body=response.body)
            )
            await session.commit()

    async def remember(
        self,
        scope: IdempotencyScope,
        fingerprint: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Begin:
        entry = KeyEntry(scope, fingerprint, response, now, expires_at, stale_before)
        async with self._sessions() as session:
            if await _add_completed(session, entry):
                await session.commit()
                return Begin(BeginOutcome.STARTED)
            row = (await session.execute(select(Row).where(_is(scope)))).scalar_one()
        return _known(row, fingerprint)

    async def release(self, scope: IdempotencyScope) -> None:
        async with self._sessions() as session:
            await session.execute(delete(Row).where(_is(scope), Row.state == IN_FLIGHT))
            await session.commit()

    async def purge_expired(self, now: datetime) -> int:
        async with self._sessions() as session:
            result = await session.execute(delete(Row).where(Row.expires_at <= now))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlaIdempotencyRecords:
    """Records written in a unit of work's transaction: committed, or rolled back, with its work. On PostgreSQL a
    claim's completion, the work's last write, carries the events the unit recorded (`take_events`) to the outbox:
    no statement of their own at the commit."""

    def __init__(self, session: AsyncSession, take_events: Callable[[], Sequence[DomainEvent]] = lambda: ()) -> None:
        self._session = session
        self._take_events = take_events

    async def hold(self, scope: IdempotencyScope) -> bool:
        """PostgreSQL: a transaction-scoped advisory lock on the key's 64-bit hash, tried without waiting. SQLite:
        always True, since writers take the database's lock at BEGIN and so never overlap."""
        if self._session.get_bind().dialect.name != "postgresql":
            return True
        try_lock = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
        held = await self._session.execute(try_lock, {"key": f"{scope.user_id}\n{scope.route}\n{scope.key}"})
        return bool(held.scalar_one())

    async def add(self, entry: KeyEntry) -> bool:
        return await _add_completed(self._session, entry)

    async def complete(self, entry: KeyEntry) -> bool:
        response = entry.response
        if self._session.get_bind().dialect.name == "postgresql":
            scope = entry.scope
            events = self._take_events()
            own = await driver_execute(
                self._session,
                _pg_complete_own(len(events)),
                scope.user_id,
                scope.route,
                scope.key,
                entry.created_at,
                response.status_code,
                response.body,
                entry.fingerprint,
                *event_parameters(events),
            )
            return bool(own)
        own_claim = and_(
            _is(entry.scope),
            Row.state == IN_FLIGHT,
            Row.created_at == entry.created_at,
            Row.fingerprint == entry.fingerprint,
        )
        completed = await self._session.execute(
            update(Row)
            .where(own_claim)
            .values(state=COMPLETED, status_code=response.status_code, response_body=response.body)
        )
        return bool(completed.rowcount)  # type: ignore[attr-defined]
