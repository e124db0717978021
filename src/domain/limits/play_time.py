"""Active play time: what the daily play-time limit counts and the reality check measures.

A sitting is a run of plays (spins and pulls) each less than IDLE_GAP after the one before; active play time is
the time between the plays of a sitting. A pause of IDLE_GAP or more ends the sitting and counts nothing: a player
who walks away is not playing. One play alone counts nothing either (a spin takes no measurable time). The day is
the UTC day: the part of a gap before midnight counts for the day before, and the limit resets at 00:00 UTC.

The reality check is due at every multiple of its interval of the sitting's active time, on the first play at or
past it (a sitting is measured by its plays, so a player who stopped is not interrupted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from src.domain.limits.model import LimitReached

IDLE_GAP = timedelta(minutes=5)


def next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)


@dataclass(frozen=True)
class PlayClock:
    """A player's active play time today and their current sitting, as of their last play."""

    user_id: str
    day: date | None = None  # the UTC day `active_seconds` counts
    active_seconds: int = 0
    session_started_at: datetime | None = None
    last_play_at: datetime | None = None
    checks_sent: int = 0  # reality checks of the current sitting

    def _gap(self, now: datetime) -> timedelta | None:
        """The time since the last play if it belongs to the sitting (None: a new sitting starts)."""
        if self.last_play_at is None:
            return None
        gap = max(now - self.last_play_at, timedelta(0))  # a concurrent play may have locked in later
        return gap if gap < IDLE_GAP else None

    def active_today(self, now: datetime) -> int:
        """Seconds of active play on `now`'s UTC day, with the sitting's time up to `now`."""
        today = now.astimezone(UTC).date()
        counted = self.active_seconds if self.day == today else 0
        gap = self._gap(now)
        if gap is not None:
            midnight = datetime.combine(today, time(), tzinfo=UTC)
            counted += int(min(gap, now - midnight).total_seconds())
        return counted

    def session_seconds(self, now: datetime) -> int:
        """The active time of the sitting that a play at `now` belongs to."""
        if self._gap(now) is None or self.session_started_at is None:
            return 0
        return int((max(now, self.last_play_at or now) - self.session_started_at).total_seconds())

    def tick(self, now: datetime, reality_check_minutes: int | None) -> tuple[PlayClock, bool]:
        """The clock after a play at `now`, and whether a reality check is due with it."""
        in_sitting = self._gap(now) is not None
        started = self.session_started_at if in_sitting and self.session_started_at is not None else now
        last = max(now, self.last_play_at) if in_sitting and self.last_play_at is not None else now
        checks = self.checks_sent if in_sitting else 0
        ticked = PlayClock(self.user_id, now.astimezone(UTC).date(), self.active_today(now), started, last, checks)
        if not reality_check_minutes:
            return ticked, False
        reached = int((last - started).total_seconds()) // (reality_check_minutes * 60)
        if reached > checks:
            return replace(ticked, checks_sent=reached), True
        return ticked, False


def check_play_time(limit_minutes: int | None, clock: PlayClock, now: datetime) -> None:
    """403 LIMIT_REACHED once today's active play time has reached the daily limit, until 00:00 UTC."""
    if limit_minutes is not None and clock.active_today(now) >= limit_minutes * 60:
        raise LimitReached(limit_minutes, "daily", next_midnight(now), kind="play_minutes")
