"""The test double of the Clock port: time stands still until the test moves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
