"""Reading and marking the outbox for the relay, each call in its own short transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from src.adapters.sqla.driver import driver_execute, driver_fetch
from src.adapters.sqla.models.outbox import OutboxRow
from src.application.shared.outbox import OutboxMessage

# PostgreSQL, straight to the driver: a relay pass reads up to a thousand rows (SQLAlchemy's result machinery
# processed each of their columns) and marks them by one array parameter (SQLAlchemy's IN rendered a placeholder
# per position); the read is sent before anything else in its session, so it opens no transaction either. Each read
# is a function (migration 0029) whose settings keep its plan an ordered index scan that stops at the limit: on a
# table never analyzed the planner read the whole backlog and its dead entries as a bitmap and sorted it.
_COLUMNS = "position, event_id, event_type, aggregate_type, aggregate_id, payload, created_at"
_PG_PENDING = {
    "published_at": f"SELECT {_COLUMNS} FROM outbox_unpublished($1) ORDER BY position",  # noqa: S608 (constants)
    # the unpublished rows and the exporter's lag, up to the limit each: the oldest of both
    "exported_at": f"SELECT {_COLUMNS} FROM outbox_unexported($1) ORDER BY position LIMIT $1",  # noqa: S608
}
_PG_MARK = {
    "published_at": "UPDATE outbox SET published_at = $2 WHERE position = ANY($1::bigint[])",
    "exported_at": "UPDATE outbox SET exported_at = $2 WHERE position = ANY($1::bigint[])",
}
# the relay's pass handed to the exporter: one write marks the rows published and (all, or some of them) exported
_PG_MARK_BOTH = "UPDATE outbox SET published_at = $2, exported_at = $2 WHERE position = ANY($1::bigint[])"
_PG_MARK_SOME_EXPORTED = (
    "UPDATE outbox SET published_at = $2, exported_at = CASE WHEN position = ANY($3::bigint[]) THEN $2 "
    "ELSE exported_at END WHERE position = ANY($1::bigint[])"
)
_PG_PENDING_EXPORT = "SELECT outbox_pending_export($1::bigint[])"
_PG_EXPORT_BACKLOG = (
    "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL AND exported_at IS NULL)"
    " + (SELECT count(*) FROM outbox WHERE published_at IS NOT NULL AND exported_at IS NULL)"
)


def _document(payload: Any) -> dict[str, Any]:
    return dict(json.loads(payload) if isinstance(payload, str | bytes) else payload)


class SqlaOutboxStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def unpublished(self, limit: int) -> list[OutboxMessage]:
        return await self._pending(OutboxRow.__table__.c.published_at, limit)

    async def unexported(self, limit: int) -> list[OutboxMessage]:
        return await self._pending(OutboxRow.__table__.c.exported_at, limit)

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        await self._mark(OutboxRow.__table__.c.exported_at, positions, now)

    async def export_backlog(self) -> int:
        """The unpublished rows not exported (on the relay's index) and the exporter's lag (on its own)."""
        table = OutboxRow.__table__
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                return int((await driver_fetch(session, _PG_EXPORT_BACKLOG))[0][0])
            count = await session.scalar(select(func.count()).where(table.c.exported_at.is_(None)))
        return int(count or 0)

    async def pending_export(self, positions: Sequence[int]) -> list[int] | None:
        """Under the exporter's lock: None when events older than `positions` wait for export (rows published and
        not exported), else those of `positions` not exported yet."""
        table = OutboxRow.__table__
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                pending = (await driver_fetch(session, _PG_PENDING_EXPORT, list(positions)))[0][0]
                return None if pending is None else list(pending)
            lagging = table.c.published_at.is_not(None) & table.c.exported_at.is_(None)
            if await session.scalar(select(table.c.position).where(lagging).limit(1)) is not None:
                return None
            statement = select(table.c.position).where(
                table.c.position.in_(list(positions)), table.c.exported_at.is_(None)
            )
            return sorted((await session.scalars(statement)).all())

    async def _pending(self, cursor: ColumnElement[object], limit: int) -> list[OutboxMessage]:
        table = OutboxRow.__table__
        # plain rows (no ORM entities): the relay and the exporter read many of these under load
        statement = select(table).where(cursor.is_(None)).order_by(table.c.position).limit(limit)
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                records = await driver_fetch(session, _PG_PENDING[str(cursor.key)], limit)
                return [
                    OutboxMessage(
                        position=record["position"],
                        event_id=record["event_id"],
                        event_type=record["event_type"],
                        aggregate_type=record["aggregate_type"],
                        aggregate_id=record["aggregate_id"],
                        payload=_document(record["payload"]),
                        created_at=record["created_at"],
                    )
                    for record in records
                ]
            rows = (await session.execute(statement)).all()
        return [
            OutboxMessage(
                position=row.position,
                event_id=row.event_id,
                event_type=row.event_type,
                aggregate_type=row.aggregate_type,
                aggregate_id=row.aggregate_id,
                payload=dict(row.payload),
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def mark_published(self, positions: Sequence[int], now: datetime, exported: Sequence[int] = ()) -> None:
        """`exported`: those of `positions` the exporter took from the relay's pass, marked exported in the same
        write (one new row version, not two)."""
        if not exported:
            await self._mark(OutboxRow.__table__.c.published_at, positions, now)
            return
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                if set(exported) == set(positions):
                    await driver_execute(session, _PG_MARK_BOTH, list(positions), now)
                else:
                    await driver_execute(session, _PG_MARK_SOME_EXPORTED, list(positions), now, list(exported))
                await session.commit()
                return
            exported_at = case((OutboxRow.position.in_(list(exported)), now), else_=OutboxRow.exported_at)
            statement = update(OutboxRow).where(OutboxRow.position.in_(list(positions)))
            await session.execute(statement.values(published_at=now, exported_at=exported_at))
            await session.commit()

    async def _mark(self, cursor: ColumnElement[object], positions: Sequence[int], now: datetime) -> None:
        """On PostgreSQL one array parameter: SQLAlchemy's IN rendered (and compiled) a placeholder per position,
        ~30 us each, for the exporter's passes of up to 2,000."""
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                await driver_execute(session, _PG_MARK[str(cursor.key)], list(positions), now)
                await session.commit()
                return
            statement = update(OutboxRow).where(OutboxRow.position.in_(list(positions)))
            await session.execute(statement.values({str(cursor.key): now}))
            await session.commit()
