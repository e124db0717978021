"""What the engagement use cases need from the world."""

from __future__ import annotations

from typing import Protocol

from src.application.games.ports import GamesUnitOfWork
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


class EngagementUnitOfWork(GamesUnitOfWork, Protocol):
    """Streaks, plus the wallet (rewards) and the games inventory (streak shields) in the same transaction."""

    @property
    def streaks(self) -> StreakRepository: ...
