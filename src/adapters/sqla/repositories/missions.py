"""SQL missions and achievements: definitions as rows, progress written with one upsert per table and pass.

Completions, unlocks and claims are never undone by an upsert (COALESCE keeps the stored instant), and a claim is
one conditional UPDATE, so concurrent claims of one row cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.engagement import (
    AchievementDefinitionRow,
    AchievementProgressRow,
    MissionDefinitionRow,
    MissionProgressRow,
    ProgressEventRow,
    ProgressPlayerRow,
)
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.engagement.ports import MissionKey
from src.domain.engagement.achievements import AchievementDefinition, AchievementProgress
from src.domain.engagement.errors import DefinitionExists
from src.domain.engagement.missions import MissionDefinition, MissionProgress, Period, Prize
from src.domain.engagement.progress import Counter, Metric, Operator

DefinitionRow = MissionDefinitionRow | AchievementDefinitionRow


def _counter(row: DefinitionRow) -> Counter:
    return Counter(Metric(row.metric), Operator(row.operator), row.rarity)


def _prize(row: DefinitionRow) -> Prize:
    return Prize(row.reward_coins, row.reward_gems, row.reward_item_id)


def _common_values(definition: MissionDefinition | AchievementDefinition) -> dict[str, Any]:
    counter, prize = definition.counter, definition.prize
    return {"title": definition.title, "metric": counter.metric.value, "operator": counter.operator.value,
            "rarity": counter.rarity, "target": definition.target, "reward_coins": prize.coins,
            "reward_gems": prize.gems, "reward_item_id": prize.item_id, "enabled": definition.enabled,
            "position": definition.position}  # fmt: skip


def _mission(row: MissionDefinitionRow) -> MissionDefinition:
    return MissionDefinition(row.id, row.title, Period(row.period), _counter(row), row.target, _prize(row),
                             row.enabled, row.position)  # fmt: skip


def _mission_values(definition: MissionDefinition) -> dict[str, Any]:
    return {"period": definition.period.value, **_common_values(definition)}


def _achievement(row: AchievementDefinitionRow) -> AchievementDefinition:
    return AchievementDefinition(row.id, row.title, row.category, _counter(row), row.target, _prize(row), row.hidden,
                                 row.auto_claim, row.precondition_id, row.enabled, row.position)  # fmt: skip


def _achievement_values(definition: AchievementDefinition) -> dict[str, Any]:
    extra = {"category": definition.category, "hidden": definition.hidden, "auto_claim": definition.auto_claim,
             "precondition_id": definition.precondition}  # fmt: skip
    return {**extra, **_common_values(definition)}


class SqlaDefinitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def missions(self) -> list[MissionDefinition]:
        statement = select(MissionDefinitionRow).order_by(MissionDefinitionRow.position, MissionDefinitionRow.id)
        return [_mission(row) for row in (await self._db.execute(statement)).scalars()]

    async def mission(self, mission_id: str) -> MissionDefinition | None:
        row = await self._db.get(MissionDefinitionRow, mission_id)
        return None if row is None else _mission(row)

    async def add_mission(self, definition: MissionDefinition, now: datetime) -> None:
        values = _mission_values(definition)
        await self._add(MissionDefinitionRow(id=definition.mission_id, created_at=now, updated_at=now, **values))

    async def save_mission(self, definition: MissionDefinition, now: datetime) -> None:
        statement = update(MissionDefinitionRow).where(MissionDefinitionRow.id == definition.mission_id)
        await self._db.execute(statement.values(updated_at=now, **_mission_values(definition)))

    async def achievements(self) -> list[AchievementDefinition]:
        table = AchievementDefinitionRow
        statement = select(table).order_by(table.position, table.id)
        return [_achievement(row) for row in (await self._db.execute(statement)).scalars()]

    async def achievement(self, achievement_id: str) -> AchievementDefinition | None:
        row = await self._db.get(AchievementDefinitionRow, achievement_id)
        return None if row is None else _achievement(row)

    async def add_achievement(self, definition: AchievementDefinition, now: datetime) -> None:
        values = _achievement_values(definition)
        await self._add(
            AchievementDefinitionRow(id=definition.achievement_id, created_at=now, updated_at=now, **values)
        )

    async def save_achievement(self, definition: AchievementDefinition, now: datetime) -> None:
        statement = update(AchievementDefinitionRow).where(AchievementDefinitionRow.id == definition.achievement_id)
        await self._db.execute(statement.values(updated_at=now, **_achievement_values(definition)))

    async def _add(self, row: DefinitionRow) -> None:
        self._db.add(row)
        try:
            await self._db.flush()
        except IntegrityError as exc:
            raise DefinitionExists from exc


def _mission_progress(row: Any) -> MissionProgress:
    return MissionProgress(row.user_id, row.mission_id, row.period_key, row.progress, row.completed_at, row.claimed_at)


class SqlaProgressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def lock_player(self, user_id: str) -> None:
        """One upsert: the row is created or touched, and its lock held until the transaction ends."""
        upsert = dialect_insert(self._db)(ProgressPlayerRow).values(user_id=user_id, updated_at=func.now())
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[ProgressPlayerRow.user_id], set_={"updated_at": upsert.excluded.updated_at}
            )
        )

    async def first_seen(self, user_id: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        if not event_ids:
            return set()
        rows = [{"event_id": event_id, "user_id": user_id, "counted_at": now} for event_id in event_ids]
        insert = dialect_insert(self._db)(ProgressEventRow).values(rows)
        result = await self._db.execute(insert.on_conflict_do_nothing().returning(ProgressEventRow.event_id))
        return set(result.scalars())

    async def missions_of(self, user_id: str, keys: Sequence[MissionKey]) -> dict[MissionKey, MissionProgress]:
        if not keys:
            return {}
        table = MissionProgressRow
        statement = select(table).where(
            table.user_id == user_id, tuple_(table.mission_id, table.period_key).in_(list(keys))
        )
        rows = (await self._db.execute(statement)).scalars()
        return {(row.mission_id, row.period_key): _mission_progress(row) for row in rows}

    async def save_missions(self, rows: Sequence[MissionProgress], now: datetime) -> None:
        if not rows:
            return
        table = MissionProgressRow
        values = [{"user_id": row.user_id, "mission_id": row.mission_id, "period_key": row.period_key,
                   "progress": row.progress, "completed_at": row.completed_at, "updated_at": now}
                  for row in rows]  # fmt: skip
        upsert = dialect_insert(self._db)(table).values(values)
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[table.user_id, table.mission_id, table.period_key],
                set_={
                    "progress": upsert.excluded.progress,
                    "completed_at": func.coalesce(table.completed_at, upsert.excluded.completed_at),
                    "updated_at": upsert.excluded.updated_at,
                },
            )
        )

    async def claim_mission(self, user_id: str, key: MissionKey, now: datetime) -> bool:
        table = MissionProgressRow
        statement = (
            update(table)
            .where(table.user_id == user_id, table.mission_id == key[0], table.period_key == key[1])
            .where(table.completed_at.is_not(None), table.claimed_at.is_(None))
            .values(claimed_at=now, updated_at=now)
        )
        return bool((await self._db.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def achievements_of(self, user_id: str) -> dict[str, AchievementProgress]:
        table = AchievementProgressRow
        rows = (await self._db.execute(select(table).where(table.user_id == user_id))).scalars()
        return {row.achievement_id: AchievementProgress(row.user_id, row.achievement_id, row.progress,
                                                        row.unlocked_at, row.claimed_at) for row in rows}  # fmt: skip

    async def save_achievements(self, rows: Sequence[AchievementProgress], now: datetime) -> None:
        if not rows:
            return
        table = AchievementProgressRow
        values = [{"user_id": row.user_id, "achievement_id": row.achievement_id, "progress": row.progress,
                   "unlocked_at": row.unlocked_at, "claimed_at": row.claimed_at, "updated_at": now}
                  for row in rows]  # fmt: skip
        upsert = dialect_insert(self._db)(table).values(values)
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[table.user_id, table.achievement_id],
                set_={
                    "progress": upsert.excluded.progress,
                    "unlocked_at": func.coalesce(table.unlocked_at, upsert.excluded.unlocked_at),
                    "claimed_at": func.coalesce(table.claimed_at, upsert.excluded.claimed_at),
                    "updated_at": upsert.excluded.updated_at,
                },
            )
        )

    async def claim_achievement(self, user_id: str, achievement_id: str, now: datetime) -> bool:
        table = AchievementProgressRow
        statement = (
            update(table)
            .where(table.user_id == user_id, table.achievement_id == achievement_id)
            .where(table.unlocked_at.is_not(None), table.claimed_at.is_(None))
            .values(claimed_at=now, updated_at=now)
        )
        return bool((await self._db.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def unlocked_count(self, user_id: str) -> int:
        table = AchievementProgressRow
        statement = select(func.count()).where(table.user_id == user_id, table.unlocked_at.is_not(None))
        return int((await self._db.execute(statement)).scalar_one())

    async def forget_counted_before(self, cutoff: datetime, limit: int) -> int:
        table = ProgressEventRow
        oldest = select(table.event_id).where(table.counted_at < cutoff).limit(limit).scalar_subquery()
        result = await self._db.execute(delete(table).where(table.event_id.in_(oldest)))
        return int(result.rowcount)  # type: ignore[attr-defined]
