"""Season leaderboards as data: a recurring board (daily or weekly) whose final ranks pay rank-band rewards.

A definition recurs: each calendar period (in the game's timezone) is one season, id `<definition>.<period>`,
e.g. `weekly_net_coins.2026-W49` or `daily_wins.2026-12-03`. Scores come from the plays of the period.

Ranking (documented tie-break): higher score first; on equal scores the player who reached that score first
(earlier `score_at`, the time of the play that last changed the score) ranks higher; then the lower user id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from src.domain.engagement.battlepass import TrackReward, field_error, require_range

SEASON_BOARDS = ("net_coins", "wins", "gacha_legendary")
MAX_RANK = 10_000
MAX_BANDS = 20
MAX_BAND_COINS = 10_000_000
MAX_BAND_GEMS = 100_000


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class RankBand:
    """Ranks `rank_from`..`rank_to` (inclusive) each get `reward`."""

    rank_from: int
    rank_to: int
    reward: TrackReward


@dataclass(frozen=True)
class SeasonBoard:
    definition_id: str
    name: str
    board: str
    cadence: Cadence
    bands: tuple[RankBand, ...]
    enabled: bool = True

    def reward_for(self, rank: int) -> TrackReward:
        for band in self.bands:
            if band.rank_from <= rank <= band.rank_to:
                return band.reward
        return TrackReward()

    def rewarded_ranks(self) -> int:
        return max((band.rank_to for band in self.bands), default=0)


@dataclass(frozen=True)
class SeasonPeriod:
    season_id: str
    definition_id: str
    starts_at: datetime
    ends_at: datetime


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def period_of(board: SeasonBoard, now: datetime, zone: tzinfo) -> SeasonPeriod:
    """The season of `board` that contains `now` (calendar days or ISO weeks in `zone`)."""
    day = now.astimezone(zone).date()
    if board.cadence is Cadence.DAILY:
        start, length, label = day, timedelta(days=1), day.isoformat()
    else:
        year, week, weekday = day.isocalendar()
        start, length, label = day - timedelta(days=weekday - 1), timedelta(days=7), f"{year:04d}-W{week:02d}"
    starts_at = _local_midnight(start, zone)
    ends_at = _local_midnight(start + length, zone)
    return SeasonPeriod(f"{board.definition_id}.{label}", board.definition_id, starts_at, ends_at)


def check_board(board: SeasonBoard) -> SeasonBoard:
    """InvalidInput naming the first offending field: bands in rank order, not overlapping, rewards in limits."""
    if not board.name.strip() or len(board.name) > 100:
        raise field_error("name", "name must be 1 to 100 characters")
    if board.board not in SEASON_BOARDS:
        raise field_error("board", f"board must be one of {', '.join(SEASON_BOARDS)}")
    if not 1 <= len(board.bands) <= MAX_BANDS:
        raise field_error("rewards", f"a season has 1 to {MAX_BANDS} rank bands")
    previous = 0
    for index, band in enumerate(board.bands):
        key = f"rewards[{index}]"
        require_range(band.rank_from, previous + 1, MAX_RANK, f"{key}.rank_from")
        require_range(band.rank_to, band.rank_from, MAX_RANK, f"{key}.rank_to")
        require_range(band.reward.coins, 0, MAX_BAND_COINS, f"{key}.coins")
        require_range(band.reward.gems, 0, MAX_BAND_GEMS, f"{key}.gems")
        if band.reward.empty:
            raise field_error(key, "a band must reward coins or gems")
        previous = band.rank_to
    return board
