"""Leaderboards: one sorted set per board and period, fed by game events at most once per event id.

Periods are cut in UTC: daily `d:YYYY-MM-DD`, weekly by ISO week `w:YYYY-Www`, all time `all`.
Rankings are by score, highest first; equal scores are ordered by user id ascending, so pages are stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from src.domain.shared.errors import InvalidInput

BOARDS = ("net_coins", "wins", "gacha_legendary")
PERIODS = ("daily", "weekly", "all_time")
DEDUPE_TTL = timedelta(days=8)
PERIOD_TTLS: Mapping[str, timedelta | None] = {
    "daily": timedelta(days=3),
    "weekly": timedelta(days=15),
    "all_time": None,
}
ALL_TIME_KEY = "all"
_DAILY_KEY = re.compile(r"d:(\d{4}-\d{2}-\d{2})")
_WEEKLY_KEY = re.compile(r"w:(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class ScoredEvent:
    event_id: str
    user_id: str
    increments: Mapping[str, float]
    occurred_at: datetime


class Leaderboard(Protocol):
    async def apply(self, event_id: str, user_id: str, increments: Mapping[str, float], occurred_at: datetime) -> bool:
        """Add each board's increment to its daily, weekly and all-time sets, atomically.

        At most once per `event_id` (marks kept `DEDUPE_TTL`): a repeated event changes nothing and answers False.
        """
        ...

    async def apply_many(self, scores: Sequence[ScoredEvent]) -> int:
        """`apply` for each event, in order, in one round trip; returns how many were new."""
        ...

    async def top(self, board: str, period: str, limit: int, now: datetime) -> list[tuple[str, float]]:
        """The `limit` best (user id, score) of the period containing `now`; ties by user id ascending."""
        ...

    async def rank_of(self, board: str, period: str, user_id: str, now: datetime) -> tuple[int, float] | None:
        """(1-based rank, score) as `top` would place the user; None when the user has no score."""
        ...

    async def replace(self, board: str, period_key: str, scores: Mapping[str, float]) -> None:
        """Swap one period's whole set for `scores` in one step (rebuilds from the record)."""
        ...

    async def remove_player(self, user_id: str) -> int:
        """Take the player off every board and period (an erasure); returns how many entries went."""
        ...


@dataclass(frozen=True, slots=True)
class ScoreWrite:
    """One sorted-set increment an event causes; `ttl` is None for sets that never expire."""

    board: str
    period_key: str
    increment: float
    ttl: timedelta | None


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message}]})


def check_board(board: str) -> str:
    if board not in BOARDS:
        raise _invalid("board", f"board must be one of {', '.join(BOARDS)}")
    return board


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise _invalid("period", f"period must be one of {', '.join(PERIODS)}")
    return period


def check_top_limit(limit: int) -> int:
    if limit < 1:
        raise _invalid("limit", "limit must be at least 1")
    return limit


def _utc(when: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def period_key(period: str, when: datetime) -> str:
    """The key of the period (UTC) that contains `when`."""
    check_period(period)
    day = _utc(when).date()
    if period == "daily":
        return f"d:{day.isoformat()}"
    if period == "weekly":
        iso_year, iso_week, _ = day.isocalendar()
        return f"w:{iso_year:04d}-W{iso_week:02d}"
    return ALL_TIME_KEY


def period_of_key(key: str) -> str:
    """The period a key belongs to; InvalidInput unless it is a well-formed key of a real day or ISO week."""
    if key == ALL_TIME_KEY:
        return "all_time"
    try:
        if daily := _DAILY_KEY.fullmatch(key):
            date.fromisoformat(daily.group(1))
            return "daily"
        if weekly := _WEEKLY_KEY.fullmatch(key):
            date.fromisocalendar(int(weekly.group(1)), int(weekly.group(2)), 1)
            return "weekly"
    except ValueError:
        pass
    raise _invalid("period_key", "period_key must look like d:YYYY-MM-DD, w:YYYY-Www or all")


def check_scores(scores: Mapping[str, float], key: str) -> dict[str, float]:
    """Scores must be finite numbers: a NaN or an infinity would break the ordering."""
    for name, value in scores.items():
        if not math.isfinite(value):
            raise _invalid(f"{key}.{name}", "must be a finite number")
    return {name: float(value) for name, value in scores.items()}


def score_writes(increments: Mapping[str, float], occurred_at: datetime) -> list[ScoreWrite]:
    """Every (board, period) set an event adds to, with the expiry to set on write."""
    for board in increments:
        check_board(board)
    checked = check_scores(increments, "increments")
    return [
        ScoreWrite(board, period_key(period, occurred_at), increment, PERIOD_TTLS[period])
        for board, increment in checked.items()
        for period in PERIODS
    ]
