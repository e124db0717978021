"""Battle pass seasons as data: a window, levels with rising XP thresholds, two reward tracks, an XP table.

Rules (API.md fixes the shape only, so they are decided here):
- a season has 1..100 levels numbered 1..N; level n is reached at `xp` total XP, strictly rising with n;
- each level has a free and a premium reward of coins and gems (each 0..MAX_*; a level may give nothing);
- XP per event kind: `play` per spin or gacha pull, `per_100_coins_wagered` per whole 100 coins of a slot bet
  (pulls cost gems, not coins), `purchase` per captured shop purchase; each 0..MAX_XP_PER_EVENT;
- the premium track costs `premium_price_gems` (1..MAX_PREMIUM_PRICE) and is bought once per season.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from src.domain.shared.errors import DomainError, InvalidInput

MAX_LEVELS = 100
MAX_LEVEL_COINS = 1_000_000
MAX_LEVEL_GEMS = 10_000
MAX_XP_PER_EVENT = 100_000
MAX_LEVEL_XP = 100_000_000
MAX_PREMIUM_PRICE = 100_000


def field_error(key: str, message: str) -> InvalidInput:
    return InvalidInput(f"{key}: {message}", details={"fields": [{"key": key, "message": message}]})


def require_range(value: int, low: int, high: int, key: str) -> None:
    if not low <= value <= high:
        raise field_error(key, f"must be between {low} and {high}")


class Track(StrEnum):
    FREE = "free"
    PREMIUM = "premium"


@dataclass(frozen=True)
class TrackReward:
    coins: int = 0
    gems: int = 0

    @property
    def empty(self) -> bool:
        return not (self.coins or self.gems)


@dataclass(frozen=True)
class PassLevel:
    level: int
    xp: int  # total XP at which this level is reached
    free: TrackReward
    premium: TrackReward

    def reward(self, track: Track) -> TrackReward:
        return self.free if track is Track.FREE else self.premium


@dataclass(frozen=True)
class XpTable:
    play: int = 10
    per_100_coins_wagered: int = 1
    purchase: int = 500


@dataclass(frozen=True)
class BattlePassSeason:
    season_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    levels: tuple[PassLevel, ...]
    xp: XpTable
    premium_price_gems: int
    enabled: bool = True
    settled_at: datetime | None = None

    def running(self, now: datetime) -> bool:
        return self.enabled and self.starts_at <= now < self.ends_at

    def level_for(self, xp: int) -> int:
        """The highest level whose threshold `xp` reaches (0: none yet)."""
        return sum(1 for level in self.levels if xp >= level.xp)

    def xp_to_next(self, xp: int) -> int:
        """XP still missing to the next level; 0 at the top level."""
        level = self.level_for(xp)
        return 0 if level >= len(self.levels) else self.levels[level].xp - xp

    def level(self, number: int) -> PassLevel | None:
        return self.levels[number - 1] if 1 <= number <= len(self.levels) else None


@dataclass(frozen=True)
class PassProgress:
    """One player's standing in one season; `settled_at` is set once season-end settlement paid the player."""

    season_id: str
    user_id: str
    xp: int = 0
    level: int = 0
    premium: bool = False
    settled_at: datetime | None = None


def claimable_levels(
    season: BattlePassSeason, progress: PassProgress, claimed: set[tuple[int, Track]]
) -> dict[Track, list[int]]:
    """Reached levels with a reward on each track not claimed yet; premium ones only for a premium holder."""
    found: dict[Track, list[int]] = {Track.FREE: [], Track.PREMIUM: []}
    for level in season.levels[: progress.level]:
        for track in Track:
            if track is Track.PREMIUM and not progress.premium:
                continue
            if not level.reward(track).empty and (level.level, track) not in claimed:
                found[track].append(level.level)
    return found


def _check_reward(reward: TrackReward, key: str) -> None:
    require_range(reward.coins, 0, MAX_LEVEL_COINS, f"{key}.coins")
    require_range(reward.gems, 0, MAX_LEVEL_GEMS, f"{key}.gems")


def _check_levels(levels: tuple[PassLevel, ...]) -> None:
    if not 1 <= len(levels) <= MAX_LEVELS:
        raise field_error("levels", f"a season has 1 to {MAX_LEVELS} levels")
    previous = 0
    for index, level in enumerate(levels):
        key = f"levels[{index}]"
        if level.level != index + 1:
            raise field_error(f"{key}.level", "levels are numbered 1, 2, 3, … in order")
        require_range(level.xp, 1, MAX_LEVEL_XP, f"{key}.xp")
        if level.xp <= previous:
            raise field_error(f"{key}.xp", "each level needs more XP than the one before")
        previous = level.xp
        _check_reward(level.free, f"{key}.free")
        _check_reward(level.premium, f"{key}.premium")


def check_season(season: BattlePassSeason) -> BattlePassSeason:
    """InvalidInput naming the first offending field."""
    if not season.name.strip() or len(season.name) > 100:
        raise field_error("name", "name must be 1 to 100 characters")
    if season.ends_at <= season.starts_at:
        raise field_error("ends_at", "ends_at must be after starts_at")
    _check_levels(season.levels)
    require_range(season.premium_price_gems, 1, MAX_PREMIUM_PRICE, "premium_price_gems")
    for name in ("play", "per_100_coins_wagered", "purchase"):
        require_range(getattr(season.xp, name), 0, MAX_XP_PER_EVENT, f"xp_table.{name}")
    return season


def check_no_overlap(season: BattlePassSeason, others: list[BattlePassSeason]) -> None:
    """Enabled seasons never overlap, so at any instant at most one is running."""
    if not season.enabled:
        return
    for other in others:
        if other.season_id == season.season_id or not other.enabled:
            continue
        if other.starts_at < season.ends_at and season.starts_at < other.ends_at:
            raise InvalidInput(
                f"the season overlaps the enabled season {other.season_id}",
                details={
                    "fields": [{"key": "starts_at", "message": "overlaps another enabled season"}],
                    "season_id": other.season_id,
                },
            )


def default_levels(count: int = 30) -> tuple[PassLevel, ...]:
    """The shipped curve: level n needs 100·n·(n+1)/2 XP (100, 300, 600, …); coins every level, gems every 5th."""
    levels = []
    for n in range(1, count + 1):
        free = TrackReward(coins=100 * n, gems=5 if n % 5 == 0 else 0)
        premium = TrackReward(coins=250 * n, gems=20 if n % 5 == 0 else 5)
        levels.append(PassLevel(n, 100 * n * (n + 1) // 2, free, premium))
    return tuple(levels)


class NoRunningSeason(DomainError):
    code = "NOT_FOUND"
    default_message = "no battle pass season is running"


class LevelNotClaimable(DomainError):
    code = "NOT_CLAIMABLE"
    default_message = "this level's reward cannot be claimed"


class LevelAlreadyClaimed(DomainError):
    code = "ALREADY_CLAIMED"
    default_message = "this level's reward was already claimed"


class PremiumAlreadyOwned(DomainError):
    code = "ALREADY_CLAIMED"
    default_message = "you already own this season's premium track"
