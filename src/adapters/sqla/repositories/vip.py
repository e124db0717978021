"""SQL VIP running totals and tier history.

A relay pass's totals are added in one statement on PostgreSQL: the events' ids go into the consumer inbox
(`processed_events`, ON CONFLICT DO NOTHING) and only those that were new are summed per player and added to
`vip_totals`, whose rows come back. So a redelivered pass counts nothing twice and a pass of 200 spins by 100
players costs one round trip. SQLite (the embedded default) does the same in a few plain statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_execute
from src.adapters.sqla.models.engagement import StreakDayRow, VipTierChangeRow, VipTotalsRow
from src.adapters.sqla.models.wallet import ProcessedEventRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.engagement.ports import ProgressDelta
from src.application.shared.pagination import Page, Position
from src.domain.engagement.streak import DayMark
from src.domain.engagement.vip import VipTierChange, VipTotals

# each player's sums (`sums`) added to their running totals, in key order
_ADD_SUMS = """
INSERT INTO vip_totals (user_id, spent_cents, activity_points, earned_tier, updated_at)
SELECT user_id, spent, points, 0, now() FROM sums ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET
    spent_cents = vip_totals.spent_cents + EXCLUDED.spent_cents,
    activity_points = vip_totals.activity_points + EXCLUDED.activity_points,
    updated_at = EXCLUDED.updated_at
RETURNING user_id, spent_cents, activity_points, earned_tier
"""

_PG_ADD = (
    """
WITH incoming AS (
    SELECT * FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::bigint[])
        AS t(event_id, user_id, spent, points)
), fresh AS (
    INSERT INTO processed_events (consumer, event_id, processed_at)
    SELECT $1, event_id, $6 FROM incoming
    ON CONFLICT DO NOTHING
    RETURNING event_id
), sums AS (
    SELECT incoming.user_id, SUM(incoming.spent) AS spent, SUM(incoming.points) AS points
    FROM incoming JOIN fresh ON fresh.event_id = incoming.event_id
    GROUP BY incoming.user_id
)
"""  # noqa: S608 - constant text joined
    + _ADD_SUMS
)


# the same addition for events a caller's transaction already keyed once-only (`add` with no consumer): the plays'
# consumer marks a pass's events once for all its counters (progress_events)
_PG_ADD_KEYED = (
    """
WITH sums AS (
    SELECT user_id, SUM(spent) AS spent, SUM(points) AS points
    FROM unnest($1::varchar[], $2::bigint[], $3::bigint[]) AS t(user_id, spent, points)
    GROUP BY user_id
)
"""  # noqa: S608 - constant text joined
    + _ADD_SUMS
)


_TOTALS = (VipTotalsRow.user_id, VipTotalsRow.spent_cents, VipTotalsRow.activity_points, VipTotalsRow.earned_tier)


def _totals(row: Any) -> VipTotals:
    return VipTotals(row.user_id, int(row.spent_cents), int(row.activity_points), int(row.earned_tier))


class SqlaVipProgressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    @property
    def _on_postgres(self) -> bool:
        return self._db.get_bind().dialect.name == "postgresql"

    async def add(self, consumer: str | None, deltas: Sequence[ProgressDelta], now: datetime) -> list[VipTotals]:
        if not deltas:
            return []
        if self._on_postgres and consumer is None:
            sums = (
                [delta.user_id for delta in deltas],
                [delta.spent_cents for delta in deltas],
                [delta.activity_points for delta in deltas],
            )
            return [_totals(Columns(record)) for record in await driver_execute(self._db, _PG_ADD_KEYED, *sums)]
        if self._on_postgres:
            columns = (
                [delta.event_id for delta in deltas],
                [delta.user_id for delta in deltas],
                [delta.spent_cents for delta in deltas],
                [delta.activity_points for delta in deltas],
            )
            # in the unit's transaction, without exec_driver_sql's result machinery (~0.15 ms a relay pass)
            return [
                _totals(Columns(record)) for record in await driver_execute(self._db, _PG_ADD, consumer, *columns, now)
            ]
        return await self._add_plainly(consumer, deltas, now)

    async def _add_plainly(
        self, consumer: str | None, deltas: Sequence[ProgressDelta], now: datetime
    ) -> list[VipTotals]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for delta in deltas:
            if consumer is None or await self._first(consumer, delta.event_id, now):
                sums[delta.user_id][0] += delta.spent_cents
                sums[delta.user_id][1] += delta.activity_points
        moved = []
        for user_id in sorted(sums):
            spent, points = sums[user_id]
            insert = dialect_insert(self._db)(VipTotalsRow).values(
                user_id=user_id, spent_cents=spent, activity_points=points, earned_tier=0, updated_at=func.now()
            )
            upsert = insert.on_conflict_do_update(
                index_elements=[VipTotalsRow.user_id],
                set_={
                    "spent_cents": VipTotalsRow.spent_cents + insert.excluded.spent_cents,
                    "activity_points": VipTotalsRow.activity_points + insert.excluded.activity_points,
                    "updated_at": insert.excluded.updated_at,
                },
            ).returning(*_TOTALS)
            moved.append(_totals((await self._db.execute(upsert)).one()))
        return moved

    async def _first(self, consumer: str, event_id: str, now: datetime) -> bool:
        statement = dialect_insert(self._db)(ProcessedEventRow).values(
            consumer=consumer, event_id=event_id, processed_at=now
        )
        return bool((await self._db.execute(statement.on_conflict_do_nothing())).rowcount)  # type: ignore[attr-defined]

    async def forget_events(self, consumer: str, before: datetime) -> int:
        statement = delete(ProcessedEventRow).where(
            ProcessedEventRow.consumer == consumer, ProcessedEventRow.processed_at < before
        )
        return int((await self._db.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def set_earned(self, user_id: str, tier: int) -> None:
        await self._db.execute(
            update(VipTotalsRow)
            .where(VipTotalsRow.user_id == user_id, VipTotalsRow.earned_tier < tier)
            .values(earned_tier=tier, updated_at=func.now())
        )


def _change(row: VipTierChangeRow) -> VipTierChange:
    return VipTierChange(row.user_id, row.from_tier, row.to_tier, row.reason, row.changed_at, row.event_id)


def _position(row: VipTierChangeRow) -> Position:
    return Position(row.changed_at, row.event_id)


class SqlaVipHistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, changes: Sequence[VipTierChange]) -> None:
        if not changes:
            return
        rows = [
            {
                "event_id": change.event_id,
                "user_id": change.user_id,
                "from_tier": change.from_tier,
                "to_tier": change.to_tier,
                "reason": change.reason,
                "changed_at": change.changed_at,
            }
            for change in changes
        ]
        statement = dialect_insert(self._db)(VipTierChangeRow).values(rows)
        await self._db.execute(statement.on_conflict_do_nothing(index_elements=[VipTierChangeRow.event_id]))

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[VipTierChange]:
        statement = after_position(
            select(VipTierChangeRow).where(VipTierChangeRow.user_id == user_id),
            VipTierChangeRow.changed_at,
            VipTierChangeRow.event_id,
            after,
        )
        rows = list((await self._db.execute(statement.limit(limit + 1))).scalars())
        return to_page(rows, limit, _change, _position)


class SqlaStreakDayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def mark(self, user_id: str, marks: Sequence[DayMark]) -> None:
        if not marks:
            return
        rows = [{"user_id": user_id, "day": mark.day, "kind": mark.kind} for mark in marks]
        await self._db.execute(dialect_insert(self._db)(StreakDayRow).values(rows).on_conflict_do_nothing())

    async def between(self, user_id: str, first: date, last: date) -> list[DayMark]:
        statement = (
            select(StreakDayRow.day, StreakDayRow.kind)
            .where(StreakDayRow.user_id == user_id, StreakDayRow.day >= first, StreakDayRow.day <= last)
            .order_by(StreakDayRow.day, StreakDayRow.kind)
        )
        return [DayMark(day, kind) for day, kind in (await self._db.execute(statement)).all()]
