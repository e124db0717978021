"""Wire formats of the streak routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from src.application.engagement.streaks import NextReward, StreakView, TickResult
from src.domain.engagement.streak import StreakDay
from src.entrypoints.http.schemas.identity import Struct


class TickIn(Struct):
    """The body is optional; the Idempotency-Key header wins over `idempotency_key`."""

    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class StreakOut(Struct):
    count: int  # 0 once a missed day has broken the streak
    best: int
    last_tick_date: date | None  # a calendar day in the server's streak timezone
    next_reset_at: datetime | None  # when the streak is lost unless ticked before; null when none is running
    protected_until: date | None  # null when no protection is in force

    @classmethod
    def of(cls, view: StreakView) -> StreakOut:
        return cls(
            count=view.count,
            best=view.best,
            last_tick_date=view.last_tick_date,
            next_reset_at=view.next_reset_at,
            protected_until=view.protected_until,
        )


class StreakRewardOut(Struct):
    coins: int
    gems: int


class TickOut(StreakOut):
    reward: StreakRewardOut
    balances: dict[str, int]  # balance after the grant, for each currency granted

    @classmethod
    def of_tick(cls, result: TickResult) -> TickOut:
        view = result.streak
        return cls(
            count=view.count,
            best=view.best,
            last_tick_date=view.last_tick_date,
            next_reset_at=view.next_reset_at,
            protected_until=view.protected_until,
            reward=StreakRewardOut(coins=result.reward.coins, gems=result.reward.gems),
            balances=result.balances,
        )


class NextRewardOut(Struct):
    count: int  # the streak the next tick makes
    coins: int
    gems: int
    available_at: datetime

    @classmethod
    def of(cls, reward: NextReward) -> NextRewardOut:
        return cls(count=reward.count, coins=reward.coins, gems=reward.gems, available_at=reward.available_at)


class StreakDayOut(Struct):
    date: date  # a calendar day in the server's streak timezone
    ticked: bool
    protected: bool  # a missed day a streak shield forgave

    @classmethod
    def of(cls, day: StreakDay) -> StreakDayOut:
        return cls(date=day.day, ticked=day.ticked, protected=day.protected)


class StreakHistoryOut(Struct):
    month: str  # YYYY-MM
    days: list[StreakDayOut]  # every day of the month, first to last
