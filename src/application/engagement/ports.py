"""What the engagement use cases need from the world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from src.application.games.ports import HasInventory
from src.application.identity.ports import HasUsers
from src.application.shared.audit import Audited
from src.application.shared.pagination import Page, Position
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.rewards import Reward
from src.domain.engagement.streak import DayMark, Streak
from src.domain.engagement.vip import VipTierChange, VipTotals


class StreakRepository(Protocol):
    async def get(self, user_id: str) -> Streak:
        """The player's streak as last committed (an empty one if they never ticked); no lock."""
        ...

    async def lock(self, user_id: str) -> Streak:
        """The player's streak, its row created if needed and locked until the transaction ends, so two
        ticks (or a tick and a protection) of one player queue and the second sees the first's result."""
        ...

    async def save(self, streak: Streak) -> None:
        """Write back a streak taken with `lock` in this unit of work."""
        ...


class RewardRepository(Protocol):
    async def add(self, reward: Reward) -> bool:
        """Record a reward; False, and nothing written, when one with its id exists (a repeated grant: a
        concurrent add of the same id waits for the first to commit or roll back, as a unique index does)."""
        ...

    async def get(self, reward_id: str) -> Reward | None: ...

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[Reward]:
        """The player's rewards, newest `awarded_at` first (reward id breaks ties), after the cursor position."""
        ...


class StreakDayRepository(Protocol):
    async def mark(self, user_id: str, marks: Sequence[DayMark]) -> None:
        """Add facts to the player's attendance calendar (a fact already there is kept once)."""
        ...

    async def between(self, user_id: str, first: date, last: date) -> list[DayMark]:
        """The player's marks from `first` to `last`, both included."""
        ...


@dataclass(frozen=True)
class ProgressDelta:
    """What one event adds to a player's VIP running totals (a refund subtracts spend)."""

    event_id: str
    user_id: str
    spent_cents: int
    activity_points: int


class VipProgressRepository(Protocol):
    async def add(self, consumer: str, deltas: Sequence[ProgressDelta], now: datetime) -> list[VipTotals]:
        """Add the deltas of events `consumer` has not counted yet to their players' running totals (a player's
        row starts at zero) and remember the events as counted (at `now`), so a redelivered event never counts
        twice; the totals of every player that moved, after the addition."""
        ...

    async def forget_events(self, consumer: str, before: datetime) -> int:
        """Drop the counted marks `consumer` wrote before `before` (no event is redelivered that late); how many."""
        ...

    async def set_earned(self, user_id: str, tier: int) -> None:
        """Raise the highest tier the player's totals have earned (never lowered)."""
        ...


class VipHistoryRepository(Protocol):
    async def add(self, changes: Sequence[VipTierChange]) -> None:
        """Record tier changes; one already recorded (same event id) is kept once."""
        ...

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[VipTierChange]:
        """The player's tier changes, newest first (event id breaks ties)."""
        ...


class EngagementUnitOfWork(WalletUnitOfWork, HasInventory, HasUsers, Audited, Protocol):
    """Streaks, their calendar, rewards and VIP (running totals and tier history), plus the wallet and the games
    inventory (shields, item rewards) in one transaction; the users (a reward's player must exist, the VIP tier is
    stored on them) and the audit log (an admin's grant)."""

    @property
    def streaks(self) -> StreakRepository: ...

    @property
    def streak_days(self) -> StreakDayRepository: ...

    @property
    def rewards(self) -> RewardRepository: ...

    @property
    def vip_progress(self) -> VipProgressRepository: ...

    @property
    def vip_history(self) -> VipHistoryRepository: ...
