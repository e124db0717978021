"""One settled play as the records keep it: history, per-game stats and the player's game state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from src.domain.games.fairness import FairRef


class GameType(StrEnum):
    SLOT = "slot"
    GACHA = "gacha"


@dataclass
class PlayerState:
    """What a game remembers about a player between plays."""

    user_id: str
    game_type: GameType
    streak: int = 0
    pity_counter: int = 0


@dataclass(frozen=True)
class PlayRecord:
    """A row of game history; `result_meta` never holds RNG internals."""

    id: str
    user_id: str
    game_type: GameType
    action: str
    bet: int
    payout: int
    delta_coins: int
    delta_gems: int
    won: bool
    created_at: datetime
    result_meta: dict[str, Any] = field(default_factory=dict)
    fair: FairRef | None = None  # None: played before provably fair draws


@dataclass(frozen=True)
class GameStats:
    game_type: str
    play_count: int = 0
    win_count: int = 0
    net_coins: int = 0
    net_gems: int = 0

    @property
    def win_rate(self) -> float:
        return round(self.win_count / self.play_count, 4) if self.play_count else 0.0
