"""The daily streak: one tick per calendar day (in the streak timezone); a missed day resets it unless protected.

Rules (API.md is silent on them, so they are decided here):
- first tick → 1; ticked yesterday → +1; already ticked today → StreakAlreadyTicked (nothing granted);
- exactly one missed day (last tick the day before yesterday) that a protection covers → +1, the protection
  is used up; any other gap → back to 1. `best` keeps the longest streak ever reached;
- a protection bought on day D sets `protected_until = D + 1`: it forgives one missed day up to that date
  (bought today after missing yesterday, it repairs the streak at today's tick; bought in advance, it covers
  tomorrow). A protection still in force (protected_until ≥ today) cannot be bought again;
- each tick grants 100 × min(count, 7) coins, and every 7th day 5 gems besides;
- the attendance calendar marks each ticked day, and as "protected" the missed day a protection forgave (marked
  by the tick that carried the streak over it: until then nothing says the day will be forgiven).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from src.domain.engagement.errors import StreakAlreadyProtected, StreakAlreadyTicked
from src.domain.shared.errors import InvalidInput

ONE_DAY = timedelta(days=1)
COINS_PER_DAY = 100
COIN_CAP_DAYS = 7
GEM_BONUS_EVERY = 7
GEM_BONUS = 5


@dataclass(frozen=True)
class Streak:
    user_id: str
    count: int = 0
    best: int = 0
    last_tick_date: date | None = None
    protected_until: date | None = None


@dataclass(frozen=True)
class StreakReward:
    coins: int
    gems: int


def local_day(now: datetime, zone: tzinfo) -> date:
    """The calendar day `now` falls on in the streak timezone."""
    return now.astimezone(zone).date()


def start_of(day: date, zone: tzinfo) -> datetime:
    """When `day` begins in the streak timezone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def reward_for(count: int) -> StreakReward:
    gems = GEM_BONUS if count > 0 and count % GEM_BONUS_EVERY == 0 else 0
    return StreakReward(COINS_PER_DAY * min(count, COIN_CAP_DAYS), gems)


def _forgives(streak: Streak, missed: date) -> bool:
    return streak.protected_until is not None and missed <= streak.protected_until


def _continues(streak: Streak, today: date) -> bool:
    """Would a tick today carry the streak on (rather than start it again at 1)?"""
    last = streak.last_tick_date
    if last is None:
        return False
    if last == today - ONE_DAY:
        return True
    return last == today - 2 * ONE_DAY and _forgives(streak, today - ONE_DAY)


def tick(streak: Streak, today: date) -> Streak:
    """Today's tick; StreakAlreadyTicked when today was ticked already."""
    if streak.last_tick_date is not None and streak.last_tick_date >= today:
        raise StreakAlreadyTicked
    protected_until = streak.protected_until
    if _continues(streak, today):
        count = streak.count + 1
        if streak.last_tick_date != today - ONE_DAY:
            protected_until = None  # it forgave the missed day: used up
    else:
        count = 1
    return replace(
        streak, count=count, best=max(streak.best, count), last_tick_date=today, protected_until=protected_until
    )


def protect(streak: Streak, today: date) -> Streak:
    """Forgive one missed day up to tomorrow; StreakAlreadyProtected while a protection is still in force."""
    if streak.protected_until is not None and streak.protected_until >= today:
        raise StreakAlreadyProtected
    return replace(streak, protected_until=today + ONE_DAY)


def current_count(streak: Streak, today: date) -> int:
    """The streak as it stands today: 0 once a missed day has broken it (the next tick starts again at 1)."""
    if streak.last_tick_date == today or _continues(streak, today):
        return streak.count
    return 0


def next_tick_count(streak: Streak, today: date) -> int:
    """The count the next tick grants: today's if not ticked yet, else tomorrow's."""
    if streak.last_tick_date == today:
        return streak.count + 1
    return streak.count + 1 if _continues(streak, today) else 1


def reset_day(streak: Streak, today: date) -> date | None:
    """The day the running streak is lost on if nobody ticks before: the day after the last day that still
    continues it (last tick + 2 days, + 3 when a protection covers the day after the last tick); None when
    no streak is running."""
    last = streak.last_tick_date
    if last is None or current_count(streak, today) == 0:
        return None
    return last + (3 if _forgives(streak, last + ONE_DAY) else 2) * ONE_DAY


def protection_in_force(streak: Streak, today: date) -> date | None:
    """`protected_until` while it can still forgive a day: from today on, or yesterday's miss it is repairing."""
    until = streak.protected_until
    if until is None:
        return None
    repairing = streak.last_tick_date == today - 2 * ONE_DAY and _forgives(streak, today - ONE_DAY)
    return until if until >= today or repairing else None


TICKED, PROTECTED = "ticked", "protected"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class DayMark:
    """One fact of the attendance calendar: the day was ticked, or a protection forgave it."""

    day: date
    kind: str  # TICKED | PROTECTED


@dataclass(frozen=True)
class StreakDay:
    day: date
    ticked: bool
    protected: bool


def days_marked(before: Streak, after: Streak, today: date) -> list[DayMark]:
    """What a tick adds to the calendar: today, and yesterday when a protection carried the streak over it."""
    marks = [DayMark(today, TICKED)]
    if after.count > 1 and before.last_tick_date == today - 2 * ONE_DAY:
        marks.append(DayMark(today - ONE_DAY, PROTECTED))
    return marks


def parse_month(value: str) -> date:
    """`YYYY-MM` → the month's first day; InvalidInput naming `month` otherwise."""
    match = _MONTH.match(value)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        message = "month must be YYYY-MM, e.g. 2026-11"
        raise InvalidInput(message, details={"fields": [{"key": "month", "message": message, "source": "query"}]})
    return date(int(match[1]), int(match[2]), 1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_calendar(first: date, marks: Iterable[DayMark]) -> list[StreakDay]:
    """Every day of the month from `first`, in order, with what was marked on it."""
    kinds: dict[date, set[str]] = {}
    for mark in marks:
        kinds.setdefault(mark.day, set()).add(mark.kind)
    days = (first + offset * ONE_DAY for offset in range(month_end(first).day))
    return [StreakDay(day, TICKED in kinds.get(day, ()), PROTECTED in kinds.get(day, ())) for day in days]
