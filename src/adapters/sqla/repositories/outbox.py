"""Reading and marking the outbox for the relay, each call in its own short transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from src.adapters.sqla.models.outbox import OutboxRow
from src.application.shared.outbox import OutboxMessage


class SqlaOutboxStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def unpublished(self, limit: int) -> list[OutboxMessage]:
        table = OutboxRow.__table__
        # plain rows (no ORM entities): the relay reads many of these under load
        statement = select(table).where(table.c.published_at.is_(None)).order_by(table.c.position).limit(limit)
        async with self._sessions() as session:
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

    async def mark_published(self, positions: Sequence[int], now: datetime) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(OutboxRow).where(OutboxRow.position.in_(list(positions))).values(published_at=now)
            )
            await session.commit()
