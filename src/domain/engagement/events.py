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
