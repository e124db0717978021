"""What the engagement use cases need from the world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from src.application.games.ports import HasInventory
from src.application.identity.ports import HasUsers
from src.application.limits.ports import HasLimits
from src.application.notifications.ports import NotificationRepository
from src.application.shared.audit import Audited
from src.application.shared.idempotency import HasIdempotencyRecords
from src.application.shared.pagination import Page, Position
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress
from src.domain.engagement.missions import MissionCount, MissionDefinition, MissionProgress
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
    async def add(self, consumer: str | None, deltas: Sequence[ProgressDelta], now: datetime) -> list[VipTotals]:
        """Add the deltas of events `consumer` has not counted yet to their players' running totals (a player's
        row starts at zero) and remember the events as counted (at `now`), so a redelivered event never counts
        twice; the totals of every player that moved, after the addition. With no `consumer` every delta is added
        and nothing is remembered: the caller's transaction dropped the events counted before (`count_plays`)."""
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


class EngagementUnitOfWork(
    WalletUnitOfWork, HasInventory, HasUsers, HasLimits, Audited, HasIdempotencyRecords, Protocol
):
    """Streaks, their calendar, rewards and VIP (running totals and tier history), plus the wallet and the games
    inventory (shields, item rewards) in one transaction; the users (a reward's player must exist, the VIP tier is
    stored on them), the buyer's responsible-gaming restriction (the gem shop), the audit log (an admin's grant) and
    the Idempotency-Key records of grants and gem buys (written with them)."""

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


MissionKey = tuple[str, str]  # (mission id, period key)


class DefinitionRepository(Protocol):
    """Missions and achievements as data; every list is in display order (position, then id)."""

    async def missions(self) -> list[MissionDefinition]:
        """All of them, disabled ones included."""
        ...

    async def mission(self, mission_id: str) -> MissionDefinition | None: ...

    async def add_mission(self, definition: MissionDefinition, now: datetime) -> None:
        """DefinitionExists when the id is taken."""
        ...

    async def save_mission(self, definition: MissionDefinition, now: datetime) -> None: ...

    async def achievements(self) -> list[AchievementDefinition]: ...

    async def achievement(self, achievement_id: str) -> AchievementDefinition | None: ...

    async def add_achievement(self, definition: AchievementDefinition, now: datetime) -> None: ...

    async def save_achievement(self, definition: AchievementDefinition, now: datetime) -> None: ...


class ProgressRepository(Protocol):
    """Players' mission and achievement progress, and the events already counted."""

    async def lock_players(self, user_ids: Sequence[str]) -> None:
        """Hold these players' progress until the transaction ends, taken in id order: two passes counting a player
        queue (without deadlock, whatever players they share). `count_missions` and `count_achievements` need it."""
        ...

    async def first_seen(self, events: Mapping[str, str], now: datetime) -> set[str]:
        """Remember the events (event id → player) as counted; those that were not before (a redelivered event is not
        returned; a concurrent transaction recording the same id waits for the first, as a unique index does)."""
        ...

    async def missions_of(self, user_id: str, keys: Sequence[MissionKey]) -> dict[MissionKey, MissionProgress]:
        """The player's stored rows among `keys` (a key without a row is absent)."""
        ...

    async def count_missions(self, counts: Sequence[MissionCount], now: datetime) -> list[tuple[str, MissionKey]]:
        """Add each count to its row (`missions.counted`: a row starts at 0, a zero value creates none) and complete
        the rows that reach their target (never undone; a claim is never touched); (player, key) of each row this
        call completed. One count per row; the players are locked (`lock_players`)."""
        ...

    async def claim_mission(self, user_id: str, key: MissionKey, now: datetime) -> bool:
        """Mark a completed, unclaimed mission claimed, decided by the store (concurrent claims: one True)."""
        ...

    async def achievements_of(self, user_id: str) -> dict[str, AchievementProgress]: ...

    async def count_achievements(
        self, counts: Sequence[AchievementCount], definitions: Sequence[AchievementDefinition], now: datetime
    ) -> dict[str, dict[str, AchievementProgress]]:
        """Add each count to its row (a row starts at 0); then, by player of `counts`, the rows `unlocks` needs
        (`achievements.unlock_candidates` over all their rows, after the counts, against `definitions`), only for
        players who have something to unlock. One count per row; the players are locked (`lock_players`)."""
        ...

    async def unlock_achievements(self, rows: Sequence[AchievementProgress], now: datetime) -> None:
        """Store the unlocks (and automatic claims) of these rows; an unlock or a claim stored before is kept."""
        ...

    async def claim_achievement(self, user_id: str, achievement_id: str, now: datetime) -> bool:
        """Mark an unlocked, unclaimed achievement claimed (concurrent claims: one True)."""
        ...

    async def unlocked_count(self, user_id: str) -> int: ...

    async def forget_counted_before(self, cutoff: datetime, limit: int) -> int:
        """Forget up to `limit` events counted before `cutoff` (long published: never delivered again); how many."""
        ...


class HasInbox(Protocol):
    """An unlock writes its inbox notification in its own transaction."""

    @property
    def notifications(self) -> NotificationRepository: ...


class MissionsUnitOfWork(WalletUnitOfWork, HasInventory, HasInbox, Audited, HasIdempotencyRecords, Protocol):
    """Definitions and progress, plus what a prize pays into (the wallet, the inventory), the inbox an unlock
    notifies, and the audit log of an operator's change."""

    @property
    def definitions(self) -> DefinitionRepository: ...

    @property
    def progress(self) -> ProgressRepository: ...
