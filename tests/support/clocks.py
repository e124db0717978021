"""The test double of the Clock port: time stands still until the test moves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from time import sleep

EPOCH = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """`now()` for use cases; `unix()` and `monotonic()` read the same instant, so a cache or a relay given this
    clock sees time move exactly when the test calls `advance`."""

    at: datetime = EPOCH

    def now(self) -> datetime:
        return self.at

    def unix(self) -> float:
        return self.at.timestamp()

    def monotonic(self) -> float:
        return self.at.timestamp()

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class ShiftedClock:
    """Real time moved forward by `advance`: for an app whose tokens and rows must still look current, while a
    sweep sees its deadlines pass without the test waiting for them."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    @classmethod
    def clear_of_midnight(cls, minutes: float = 15, zone: tzinfo = UTC) -> ShiftedClock:
        """Real time, held back when a day of `zone` ends within `minutes` (`clear_of_midnight`)."""
        return cls(clear_of_midnight(minutes, zone))


def clear_of_midnight(minutes: float = 15, zone: tzinfo = UTC) -> timedelta:
    """The offset on real time that leaves at least `minutes` before the next midnight of `zone`: none, unless that
    midnight is nearer, then `minutes` back. A test whose writes and reads of "today" (a daily mission, a daily board,
    a play-time limit, a day's KPIs) run on a clock so moved stays on one day, and so in one week and one month,
    whatever the time CI runs it. An app on such a clock issues its access tokens up to `minutes` in the past and
    they expire by real time (JWT_EXPIRE_MINUTES, 30 in tests): keep `minutes` well under that."""
    now = datetime.now(UTC)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)
    return -timedelta(minutes=minutes) if midnight - now < timedelta(minutes=minutes) else timedelta(0)


def wait_clear_of_midnight(seconds: float) -> None:
    """For a test of processes whose clock it cannot set (servers of its own): when a UTC day ends within `seconds`,
    wait (polling the clock) until the next day has begun, so that the next `seconds` fall on one day. Waits only in
    the last `seconds` of a day, and never longer."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    if midnight - now >= timedelta(seconds=seconds):
        return
    while (left := (midnight - datetime.now(UTC)).total_seconds()) > 0:
        sleep(min(left, 1.0))
