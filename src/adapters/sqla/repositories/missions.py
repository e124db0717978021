"""SQL missions and achievements: definitions as rows, progress written with one statement per table and pass.

Completions, unlocks and claims are never undone by an upsert (COALESCE keeps the stored instant), and a claim is
one conditional UPDATE, so concurrent claims of one row cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_parsed
from src.adapters.sqla.models.engagement import (
    AchievementDefinitionRow,
    AchievementProgressRow,
    MissionDefinitionRow,
    MissionProgressRow,
    ProgressEventRow,
    ProgressPlayerRow,
)
from src.adapters.sqla.repositories.pg_progress import PgProgressWrites
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.engagement.ports import MissionKey
from src.domain.engagement import achievements, missions
from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress
from src.domain.engagement.errors import DefinitionExists
from src.domain.engagement.missions import MissionCount, MissionDefinition, MissionProgress, Period, Prize
from src.domain.engagement.progress import Counter, Metric, Operator

DefinitionRow = MissionDefinitionRow | AchievementDefinitionRow


def _counter(row: DefinitionRow | Columns) -> Counter:
    return Counter(Metric(row.metric), Operator(row.operator), row.rarity)


def _prize(row: DefinitionRow | Columns) -> Prize:
    return Prize(row.reward_coins, row.reward_gems, row.reward_item_id)


def _common_values(definition: MissionDefinition | AchievementDefinition) -> dict[str, Any]:
    counter, prize = definition.counter, definition.prize
    return {"title": definition.title, "metric": counter.metric.value, "operator": counter.operator.value,
            "rarity": counter.rarity, "target": definition.target, "reward_coins": prize.coins,
            "reward_gems": prize.gems, "reward_item_id": prize.item_id, "enabled": definition.enabled,
            "position": definition.position}  # fmt: skip


def _mission(row: MissionDefinitionRow | Columns) -> MissionDefinition:
    return MissionDefinition(row.id, row.title, Period(row.period), _counter(row), row.target, _prize(row),
                             row.enabled, row.position)  # fmt: skip


def _mission_values(definition: MissionDefinition) -> dict[str, Any]:
    return {"period": definition.period.value, **_common_values(definition)}


def _achievement(row: AchievementDefinitionRow | Columns) -> AchievementDefinition:
    return AchievementDefinition(row.id, row.title, row.category, _counter(row), row.target, _prize(row), row.hidden,
                                 row.auto_claim, row.precondition_id, row.enabled, row.position)  # fmt: skip


def _achievement_values(definition: AchievementDefinition) -> dict[str, Any]:
    extra = {"category": definition.category, "hidden": definition.hidden, "auto_claim": definition.auto_claim,
             "precondition_id": definition.precondition}  # fmt: skip
    return {**extra, **_common_values(definition)}


# PostgreSQL, straight to the driver and parsed once per change: the progress engine reads every definition each
# relay pass, and the ORM's entities cost ~0.7 ms a table where the rows are a few dozen
_PG_MISSIONS = (
    "SELECT id, title, period, metric, operator, rarity, target, reward_coins, reward_gems, reward_item_id, enabled, "
    "position FROM mission_definitions ORDER BY position, id"
)
_PG_ACHIEVEMENTS = (
    "SELECT id, title, category, metric, operator, rarity, target, reward_coins, reward_gems, reward_item_id, hidden, "
    "auto_claim, precondition_id, enabled, position FROM achievement_definitions ORDER BY position, id"
)


class SqlaDefinitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session
        self._pg = session.get_bind().dialect.name == "postgresql"

    async def missions(self) -> list[MissionDefinition]:
        if self._pg:
            return await driver_parsed(self._db, _PG_MISSIONS, _mission)
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
        if self._pg:
            return await driver_parsed(self._db, _PG_ACHIEVEMENTS, _achievement)
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


def _achievement_progress(row: Any) -> AchievementProgress:
    return AchievementProgress(row.user_id, row.achievement_id, row.progress, row.unlocked_at, row.claimed_at)


class SqlaProgressRepository:
    """On PostgreSQL, a pass's writes go to the driver (pg_progress); SQLite reads the rows, folds them as the
    in-memory store does, and writes the changed ones back, in a few plain statements per pass."""

    def __init__(self, session: AsyncSession) -> None:
        self._db = session
        self._pg = PgProgressWrites(session) if session.get_bind().dialect.name == "postgresql" else None

    async def lock_players(self, user_ids: Sequence[str]) -> None:
        """One upsert: the rows are created or touched, in id order, and their locks held until the transaction
        ends."""
        if not user_ids:
            return
        if self._pg is not None:
            await self._pg.lock_players(user_ids)
            return
        rows = [{"user_id": user_id, "updated_at": func.now()} for user_id in sorted(user_ids)]
        upsert = dialect_insert(self._db)(ProgressPlayerRow).values(rows)
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[ProgressPlayerRow.user_id], set_={"updated_at": upsert.excluded.updated_at}
            )
        )

    async def first_seen(self, events: Mapping[str, str], now: datetime) -> set[str]:
        if not events:
            return set()
        if self._pg is not None:
            return await self._pg.first_seen(events, now)
        rows = [{"event_id": event_id, "user_id": user_id, "counted_at": now} for event_id, user_id in events.items()]
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

    async def count_missions(self, counts: Sequence[MissionCount], now: datetime) -> list[tuple[str, MissionKey]]:
        if not counts:
            return []
        if self._pg is not None:
            return await self._pg.count_missions(counts, now)
        table = MissionProgressRow
        keys = [(count.user_id, count.mission_id, count.period_key) for count in counts]
        statement = select(table).where(tuple_(table.user_id, table.mission_id, table.period_key).in_(keys))
        stored = {(row.user_id, row.mission_id, row.period_key): _mission_progress(row)
                  for row in (await self._db.execute(statement)).scalars()}  # fmt: skip
        changed, completed = [], []
        for key, count in zip(keys, counts, strict=True):
            before = stored.get(key)
            after = missions.counted(count, before, now)
            if after is None or after == before:
                continue
            changed.append(after)
            if missions.completes(before, after):
                completed.append((count.user_id, (count.mission_id, count.period_key)))
        await self._save_missions(changed, now)
        return completed

    async def _save_missions(self, rows: Sequence[MissionProgress], now: datetime) -> None:
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
        return {row.achievement_id: _achievement_progress(row) for row in rows}

    async def count_achievements(
        self, counts: Sequence[AchievementCount], definitions: Sequence[AchievementDefinition], now: datetime
    ) -> dict[str, dict[str, AchievementProgress]]:
        if not counts:
            return {}
        if self._pg is not None:
            return await self._pg.count_achievements(counts, definitions, now)
        table = AchievementProgressRow
        users = list(dict.fromkeys(count.user_id for count in counts))
        rows: dict[str, dict[str, AchievementProgress]] = {user_id: {} for user_id in users}
        for row in (await self._db.execute(select(table).where(table.user_id.in_(users)))).scalars():
            rows[row.user_id][row.achievement_id] = _achievement_progress(row)
        changed = []
        for count in counts:
            before = rows[count.user_id].get(count.achievement_id)
            after = rows[count.user_id][count.achievement_id] = achievements.counted(count, before)
            if after != before:
                changed.append(after)
        await self._save_achievements(changed, now)
        candidates = {user_id: achievements.unlock_candidates(found, definitions) for user_id, found in rows.items()}
        return {user_id: found for user_id, found in candidates.items() if found}

    async def unlock_achievements(self, rows: Sequence[AchievementProgress], now: datetime) -> None:
        await self._save_achievements(rows, now)

    async def _save_achievements(self, rows: Sequence[AchievementProgress], now: datetime) -> None:
        """Insert or update progress, unlock and (auto) claim; an unlock or a claim is never undone."""
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
