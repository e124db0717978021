"""In-memory streaks, their calendar and VIP totals and history: the unit-test twins of the SQL repositories;
`lock` holds the row until the unit of work ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from src.adapters.memory.identity import Workspace
from src.application.engagement.ports import ProgressDelta
from src.application.shared.pagination import Page, Position, encode_cursor
from src.domain.engagement.achievements import AchievementDefinition, AchievementProgress
from src.domain.engagement.defaults import DEFAULT_ACHIEVEMENTS, DEFAULT_MISSIONS
from src.domain.engagement.missions import MissionDefinition, MissionProgress
from src.domain.engagement.rewards import Reward
from src.domain.engagement.streak import DayMark, Streak
from src.domain.engagement.vip import VipTierChange, VipTotals


@dataclass
class EngagementTables:
    streaks: dict[str, Streak] = field(default_factory=dict)
    streak_days: dict[tuple[str, date, str], bool] = field(default_factory=dict)  # (user, day, kind)
    rewards: dict[str, Reward] = field(default_factory=dict)  # by reward id
    vip_totals: dict[str, VipTotals] = field(default_factory=dict)  # by user id
    vip_counted: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (consumer, event id) → when
    vip_history: dict[str, VipTierChange] = field(default_factory=dict)  # by event id
    # definitions start as the shipped defaults, as the migration stores them
    mission_definitions: dict[str, MissionDefinition] = field(
        default_factory=lambda: {definition.mission_id: definition for definition in DEFAULT_MISSIONS}
    )
    achievement_definitions: dict[str, AchievementDefinition] = field(
        default_factory=lambda: {definition.achievement_id: definition for definition in DEFAULT_ACHIEVEMENTS}
    )
    progress_players: dict[str, bool] = field(default_factory=dict)
    # event id → (user, counted at); None once forgotten
    progress_events: dict[str, tuple[str, datetime] | None] = field(default_factory=dict)
    mission_progress: dict[tuple[str, str, str], MissionProgress] = field(default_factory=dict)
    achievement_progress: dict[tuple[str, str], AchievementProgress] = field(default_factory=dict)


class InMemoryStreakRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def get(self, user_id: str) -> Streak:
        return self._workspace.working.streaks.get(user_id, Streak(user_id))

    async def lock(self, user_id: str) -> Streak:
        await self._workspace.lock_row("streaks", user_id)
        return self._workspace.working.streaks.setdefault(user_id, Streak(user_id))

    async def save(self, streak: Streak) -> None:
        await self._workspace.lock_row("streaks", streak.user_id)
        if streak.user_id in self._workspace.working.streaks:  # an UPDATE: a streak never locked is not created here
            self._workspace.working.streaks[streak.user_id] = streak


class InMemoryStreakDayRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def mark(self, user_id: str, marks: Sequence[DayMark]) -> None:
        for mark in marks:
            self._workspace.working.streak_days[(user_id, mark.day, mark.kind)] = True

    async def between(self, user_id: str, first: date, last: date) -> list[DayMark]:
        return sorted(
            (
                DayMark(day, kind)
                for (owner, day, kind) in self._workspace.working.streak_days
                if owner == user_id and first <= day <= last
            ),
            key=lambda mark: (mark.day, mark.kind),
        )


class InMemoryVipProgressRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def add(self, consumer: str | None, deltas: Sequence[ProgressDelta], now: datetime) -> list[VipTotals]:
        tables, moved = self._workspace.working, {}
        for delta in deltas:
            if consumer is not None:
                await self._workspace.lock_row("vip_counted", (consumer, delta.event_id))
            await self._workspace.lock_row("vip_totals", delta.user_id)
            if consumer is not None:
                if (consumer, delta.event_id) in tables.vip_counted:
                    continue
                tables.vip_counted[(consumer, delta.event_id)] = now
            totals = tables.vip_totals.get(delta.user_id, VipTotals(delta.user_id, 0, 0, 0))
            moved[delta.user_id] = tables.vip_totals[delta.user_id] = replace(
                totals,
                spent_cents=totals.spent_cents + delta.spent_cents,
                activity_points=totals.activity_points + delta.activity_points,
            )
        return list(moved.values())

    async def forget_events(self, consumer: str, before: datetime) -> int:
        counted = self._workspace.working.vip_counted
        stale = [key for key, at in counted.items() if key[0] == consumer and at < before]
        for key in stale:
            await self._workspace.lock_row("vip_counted", key)
            counted.pop(key, None)
        return len(stale)

    async def set_earned(self, user_id: str, tier: int) -> None:
        await self._workspace.lock_row("vip_totals", user_id)
        totals = self._workspace.working.vip_totals.get(user_id)
        if totals is not None and totals.earned_tier < tier:
            self._workspace.working.vip_totals[user_id] = replace(totals, earned_tier=tier)


def _position(change: VipTierChange) -> Position:
    return Position(change.changed_at, change.event_id)


class InMemoryVipHistoryRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def add(self, changes: Sequence[VipTierChange]) -> None:
        for change in changes:
            await self._workspace.lock_row("vip_history", change.event_id)
            self._workspace.working.vip_history.setdefault(change.event_id, change)

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[VipTierChange]:
        changes = sorted(
            (change for change in self._workspace.working.vip_history.values() if change.user_id == user_id),
            key=lambda change: (change.changed_at, change.event_id),
            reverse=True,
        )
        if after is not None:
            cut = (after.created_at, after.id)
            changes = [change for change in changes if (change.changed_at, change.event_id) < cut]
        kept = changes[:limit]
        more = len(changes) > limit and kept
        return Page(kept, encode_cursor(_position(kept[-1])) if more else None)
