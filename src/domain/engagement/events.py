"""Facts of the engagement context, for realtime (streak_update), missions and analytics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StreakUpdated(DomainEvent):
    """A tick or a protection changed the player's streak; dates are ISO days in the streak timezone."""

    event_type: ClassVar[str] = "StreakUpdated"
    aggregate_type: ClassVar[str] = "user"

    count: int
    best: int
    last_tick_date: str | None
    protected_until: str | None
    reason: str  # "tick" | "protect"


@dataclass(frozen=True, kw_only=True)
class BattlePassLevelReached(DomainEvent):
    """XP took the player to `level` (one event per level reached, in order): realtime level_up."""

    event_type: ClassVar[str] = "BattlePassLevelReached"
    aggregate_type: ClassVar[str] = "user"

    season_id: str
    level: int


@dataclass(frozen=True, kw_only=True)
class MissionCompleted(DomainEvent):
    """A player's mission reached its target in `period_key` (a day, a week's Monday, or "once")."""

    event_type: ClassVar[str] = "MissionCompleted"
    aggregate_type: ClassVar[str] = "user"

    mission_id: str
    title: str
    period: str
    period_key: str


@dataclass(frozen=True, kw_only=True)
class AchievementUnlocked(DomainEvent):
    """A player's achievement unlocked; `reward` is its prize ({coins?, gems?, item_id?}), `claimed` when it was
    paid at the unlock (auto_claim)."""

    event_type: ClassVar[str] = "AchievementUnlocked"
    aggregate_type: ClassVar[str] = "user"

    achievement_id: str
    title: str
    category: str
    reward: dict[str, object]
    claimed: bool
