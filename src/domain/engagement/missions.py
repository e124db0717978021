"""Missions: definitions as data, counted per period (a calendar day, an ISO week, or once), claimed once.

Rules (API.md fixes the shape; the rest is decided here):
- a daily mission counts the facts of one calendar day in the game's timezone (the streak's STREAK_TIMEZONE), a
  weekly one those of one ISO week (Monday 00:00 to Monday 00:00), a `once` mission all facts ever; a new period
  starts from 0, and `resets_at` is when the current period ends (None for `once`);
- a fact counts in the period its event happened in (a spin at 23:59 delivered after midnight is yesterday's);
- a mission completes when its progress reaches the target (it stays completed whatever comes after), and pays
  its prize once per period on claim: the prize the definition has when claimed;
- a prize is coins (≤ 1,000,000), gems (≤ 10,000) and/or one grantable item: something, never nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from src.domain.engagement.progress import Counter, Operator, combined, field_error
from src.domain.engagement.rewards import GRANTABLE_ITEMS
from src.domain.engagement.streak import start_of

MAX_PRIZE_COINS = 1_000_000
MAX_PRIZE_GEMS = 10_000
MAX_TITLE = 120
ONCE_KEY = "once"


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    ONCE = "once"


@dataclass(frozen=True)
class Prize:
    coins: int = 0
    gems: int = 0
    item_id: str | None = None


def prize(coins: int, gems: int, item_id: str | None) -> Prize:
    """A valid prize, or InvalidInput naming the field."""
    if not 0 <= coins <= MAX_PRIZE_COINS:
        raise field_error("reward.coins", f"reward.coins must be 0-{MAX_PRIZE_COINS:,}")
    if not 0 <= gems <= MAX_PRIZE_GEMS:
        raise field_error("reward.gems", f"reward.gems must be 0-{MAX_PRIZE_GEMS:,}")
    if item_id is not None and item_id not in GRANTABLE_ITEMS:
        raise field_error("reward.item_id", f"reward.item_id must be one of {', '.join(GRANTABLE_ITEMS)}")
    if not coins and not gems and item_id is None:
        raise field_error("reward", "a reward needs coins, gems or an item")
    return Prize(coins, gems, item_id)


def check_title(title: str) -> str:
    title = title.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise field_error("title", f"title must be 1-{MAX_TITLE} characters")
    return title


@dataclass(frozen=True)
class MissionDefinition:
    mission_id: str
    title: str
    period: Period
    counter: Counter
    target: int
    prize: Prize
    enabled: bool = True
    position: int = 0  # the order players see


@dataclass(frozen=True)
class MissionProgress:
    """One player's count of one mission in one period (`period_key`: the day, the week's Monday, or "once")."""

    user_id: str
    mission_id: str
    period_key: str
    progress: int = 0
    completed_at: datetime | None = None
    claimed_at: datetime | None = None


def period_start(period: Period, at: datetime, zone: tzinfo) -> date | None:
    """The first day of the period `at` falls in (local calendar); None for `once`."""
    return _start_on(period, at.astimezone(zone).date())


def _start_on(period: Period, day: date) -> date | None:
    if period is Period.DAILY:
        return day
    if period is Period.WEEKLY:
        return day - timedelta(days=day.weekday())
    return None


def period_key(period: Period, at: datetime, zone: tzinfo) -> str:
    return period_key_on(period, at.astimezone(zone).date())


def period_key_on(period: Period, day: date) -> str:
    """`period_key` of an instant on this local day (a pass converts each event's instant once)."""
    first = _start_on(period, day)
    return ONCE_KEY if first is None else first.isoformat()


def next_daily_reset(at: datetime, zone: tzinfo) -> datetime:
    """The next local midnight after `at`."""
    return start_of(at.astimezone(zone).date() + timedelta(days=1), zone)


def next_weekly_reset(at: datetime, zone: tzinfo) -> datetime:
    """The next local Monday 00:00 after `at`."""
    day = at.astimezone(zone).date()
    return start_of(day + timedelta(days=7 - day.weekday()), zone)


def resets_at(period: Period, at: datetime, zone: tzinfo) -> datetime | None:
    """When the period `at` falls in ends; None for `once`."""
    if period is Period.DAILY:
        return next_daily_reset(at, zone)
    if period is Period.WEEKLY:
        return next_weekly_reset(at, zone)
    return None


@dataclass(frozen=True)
class MissionCount:
    """What a relay pass adds to one player's mission in one period: its facts folded from 0 into `value`."""

    user_id: str
    mission_id: str
    period_key: str
    operator: Operator
    value: int
    target: int


def counted(count: MissionCount, stored: MissionProgress | None, now: datetime) -> MissionProgress | None:
    """The row after the count, completed if it reaches the target; None when a zero value would create it."""
    if stored is None and count.value == 0:
        return None
    current = stored or MissionProgress(count.user_id, count.mission_id, count.period_key)
    progress = combined(count.operator, current.progress, count.value)
    reached = current.completed_at is None and progress >= count.target
    return replace(current, progress=progress, completed_at=now if reached else current.completed_at)


def completes(before: MissionProgress | None, after: MissionProgress) -> bool:
    return after.completed_at is not None and (before is None or before.completed_at is None)


def check_definition_id(value: str, key: str) -> str:
    """Ids are slugs: 1-64 of a-z, 0-9 and _."""
    if not (1 <= len(value) <= MAX_ID and all(char in _ID_CHARS for char in value)):
        raise field_error(key, f"{key} must be 1-{MAX_ID} characters of a-z, 0-9 and _")
    return value


def check_period(value: str) -> Period:
    try:
        return Period(value)
    except ValueError as exc:
        raise field_error("period", f"period must be one of {', '.join(Period)}") from exc


MAX_ID = 64
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
