"""The consumers' event inbox on SQL: one `processed_events` row per (consumer, event), shared by every repository
whose consumer must handle a redelivered event once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import driver_execute
from src.adapters.sqla.models.wallet import ProcessedEventRow
from src.adapters.sqla.repositories.wallet import dialect_insert

# the event ids as one array parameter: a relay pass marks up to a thousand events, and SQLAlchemy's multi-row
# VALUES built and bound each row in Python (a tenth of the relay's CPU under a spin load, for two consumers)
_PG_FIRST_EVENTS = """
INSERT INTO processed_events (consumer, event_id, processed_at)
SELECT $1, event_id, $3 FROM unnest($2::varchar[]) AS event_id
ON CONFLICT DO NOTHING
RETURNING event_id
"""


class SqlaEventInbox:
    _db: AsyncSession

    async def first_events(self, consumer: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        if not event_ids:
            return set()
        if self._db.get_bind().dialect.name == "postgresql":
            # in the unit's transaction (begun here when nothing has), without exec_driver_sql's result machinery
            marked = await driver_execute(self._db, _PG_FIRST_EVENTS, consumer, sorted(set(event_ids)), now)
            return {record[0] for record in marked}
        rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in set(event_ids)]
        statement = dialect_insert(self._db)(ProcessedEventRow).values(rows).on_conflict_do_nothing()
        result = await self._db.execute(statement.returning(ProcessedEventRow.event_id))
        return set(result.scalars().all())

    async def forget_events(self, consumer: str, before: datetime) -> int:
        statement = delete(ProcessedEventRow).where(
            ProcessedEventRow.consumer == consumer, ProcessedEventRow.processed_at < before
        )
        return int((await self._db.execute(statement)).rowcount)  # type: ignore[attr-defined]


class SqlaInboxRepository(SqlaEventInbox):
    """The wallet's consumers' inbox: one event at a time, or a pass's events at once (`first_events`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def first_time(self, consumer: str, event_id: str) -> bool:
        statement = dialect_insert(self._db)(ProcessedEventRow).values(
            consumer=consumer, event_id=event_id, processed_at=func.now()
        )
        result = await self._db.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount)  # type: ignore[attr-defined]
