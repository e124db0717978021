"""What the engagement use cases need from the world."""

from __future__ import annotations

from typing import Protocol

from src.application.games.ports import HasInventory
from src.application.identity.ports import HasUsers
from src.application.shared.audit import Audited
from src.application.shared.pagination import Page, Position
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.rewards import Reward
from src.domain.engagement.streak import Streak


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


class EngagementUnitOfWork(WalletUnitOfWork, HasInventory, HasUsers, Audited, Protocol):
    """Streaks and rewards, plus the wallet and the games inventory (shields, item rewards) in one transaction;
    the users (a reward's player must exist) and the audit log (an admin's grant)."""

    @property
    def streaks(self) -> StreakRepository: ...

    @property
    def rewards(self) -> RewardRepository: ...
