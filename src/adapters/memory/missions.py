"""In-memory missions and achievements: the unit-test twins of the SQL repositories. Rows are taken with the
workspace's row locks where SQL takes row locks (the player, an event id's unique index, a claim's UPDATE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from src.adapters.memory.engagement import EngagementTables
from src.adapters.memory.identity import Workspace
from src.application.engagement.ports import MissionKey
from src.domain.engagement import achievements, missions
from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress
from src.domain.engagement.errors import DefinitionExists
from src.domain.engagement.missions import MissionCount, MissionDefinition, MissionProgress


class InMemoryDefinitionRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    @property
    def _tables(self) -> EngagementTables:
        return self._workspace.working

    async def missions(self) -> list[MissionDefinition]:
        return sorted(self._tables.mission_definitions.values(), key=lambda d: (d.position, d.mission_id))

    async def mission(self, mission_id: str) -> MissionDefinition | None:
        return self._tables.mission_definitions.get(mission_id)

    async def add_mission(self, definition: MissionDefinition, now: datetime) -> None:
        await self._workspace.lock_row("mission_definitions", definition.mission_id)
        if definition.mission_id in self._tables.mission_definitions:
            raise DefinitionExists
        self._tables.mission_definitions[definition.mission_id] = definition

    async def save_mission(self, definition: MissionDefinition, now: datetime) -> None:
        await self._workspace.lock_row("mission_definitions", definition.mission_id)
        if definition.mission_id in self._tables.mission_definitions:
            self._tables.mission_definitions[definition.mission_id] = definition

    async def achievements(self) -> list[AchievementDefinition]:
        return sorted(self._tables.achievement_definitions.values(), key=lambda d: (d.position, d.achievement_id))

    async def achievement(self, achievement_id: str) -> AchievementDefinition | None:
        return self._tables.achievement_definitions.get(achievement_id)

    async def add_achievement(self, definition: AchievementDefinition, now: datetime) -> None:
        await self._workspace.lock_row("achievement_definitions", definition.achievement_id)
        if definition.achievement_id in self._tables.achievement_definitions:
            raise DefinitionExists
        self._tables.achievement_definitions[definition.achievement_id] = definition

    async def save_achievement(self, definition: AchievementDefinition, now: datetime) -> None:
        await self._workspace.lock_row("achievement_definitions", definition.achievement_id)
        if definition.achievement_id in self._tables.achievement_definitions:
            self._tables.achievement_definitions[definition.achievement_id] = definition


class InMemoryProgressRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    @property
    def _tables(self) -> EngagementTables:
        return self._workspace.working

    async def lock_players(self, user_ids: Sequence[str]) -> None:
        for user_id in sorted(user_ids):
            await self._workspace.lock_row("progress_players", user_id)
            self._tables.progress_players[user_id] = True

    async def first_seen(self, events: Mapping[str, str], now: datetime) -> set[str]:
        fresh = set()
        for event_id, user_id in events.items():
            await self._workspace.lock_row("progress_events", event_id)
            if self._tables.progress_events.get(event_id) is None:  # never counted, or forgotten (a tombstone)
                self._tables.progress_events[event_id] = (user_id, now)
                fresh.add(event_id)
        return fresh

    async def missions_of(self, user_id: str, keys: Sequence[MissionKey]) -> dict[MissionKey, MissionProgress]:
        rows = self._tables.mission_progress
        return {key: rows[(user_id, *key)] for key in keys if (user_id, *key) in rows}

    async def count_missions(self, counts: Sequence[MissionCount], now: datetime) -> list[tuple[str, MissionKey]]:
        completed = []
        for count in counts:
            key = (count.user_id, count.mission_id, count.period_key)
            await self._workspace.lock_row("mission_progress", key)
            stored = self._tables.mission_progress.get(key)
            after = missions.counted(count, stored, now)
            if after is None or after == stored:
                continue
            self._tables.mission_progress[key] = after
            if missions.completes(stored, after):
                completed.append((count.user_id, (count.mission_id, count.period_key)))
        return completed

    async def claim_mission(self, user_id: str, key: MissionKey, now: datetime) -> bool:
        row_key = (user_id, *key)
        await self._workspace.lock_row("mission_progress", row_key)
        row = self._tables.mission_progress.get(row_key)
        if row is None or row.completed_at is None or row.claimed_at is not None:
            return False
        self._tables.mission_progress[row_key] = replace(row, claimed_at=now)
        return True

    async def achievements_of(self, user_id: str) -> dict[str, AchievementProgress]:
        return {key[1]: row for key, row in self._tables.achievement_progress.items() if key[0] == user_id}

    async def count_achievements(
        self, counts: Sequence[AchievementCount], definitions: Sequence[AchievementDefinition], now: datetime
    ) -> dict[str, dict[str, AchievementProgress]]:
        table, touched = self._tables.achievement_progress, {}
        for count in counts:
            key = (count.user_id, count.achievement_id)
            await self._workspace.lock_row("achievement_progress", key)
            touched[key] = table[key] = achievements.counted(count, table.get(key))
        rows: dict[str, dict[str, AchievementProgress]] = {user_id: {} for user_id, _ in touched}
        for (user_id, achievement_id), row in (self._workspace.committed.achievement_progress | touched).items():
            if user_id in rows:  # untouched rows as last committed, as a statement reads them
                rows[user_id][achievement_id] = row
        candidates = {user_id: achievements.unlock_candidates(found, definitions) for user_id, found in rows.items()}
        return {user_id: found for user_id, found in candidates.items() if found}

    async def unlock_achievements(self, rows: Sequence[AchievementProgress], now: datetime) -> None:
        for row in rows:
            key = (row.user_id, row.achievement_id)
            await self._workspace.lock_row("achievement_progress", key)
            stored = self._tables.achievement_progress[key]
            self._tables.achievement_progress[key] = replace(
                stored,
                unlocked_at=stored.unlocked_at or row.unlocked_at,
                claimed_at=stored.claimed_at or row.claimed_at,
            )

    async def claim_achievement(self, user_id: str, achievement_id: str, now: datetime) -> bool:
        key = (user_id, achievement_id)
        await self._workspace.lock_row("achievement_progress", key)
        row = self._tables.achievement_progress.get(key)
        if row is None or row.unlocked_at is None or row.claimed_at is not None:
            return False
        self._tables.achievement_progress[key] = replace(row, claimed_at=now)
        return True

    async def unlocked_count(self, user_id: str) -> int:
        rows = self._tables.achievement_progress.items()
        return sum(1 for key, row in rows if key[0] == user_id and row.unlocked_at is not None)

    async def forget_counted_before(self, cutoff: datetime, limit: int) -> int:
        events = self._tables.progress_events
        old = [event_id for event_id, row in events.items() if row is not None and row[1] < cutoff][:limit]
        for event_id in old:
            events[event_id] = None  # a tombstone: publishing a deletion writes it
        return len(old)
