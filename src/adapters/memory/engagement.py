"""In-memory streaks: the unit-test twin of the SQL repository; `lock` holds the row until the unit of work ends."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.adapters.memory.identity import Workspace
from src.domain.engagement.rewards import Reward
from src.domain.engagement.streak import Streak


@dataclass
class EngagementTables:
    streaks: dict[str, Streak] = field(default_factory=dict)
    rewards: dict[str, Reward] = field(default_factory=dict)  # by reward id


class InMemoryStreakRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def get(self, user_id: str) -> Streak:
        return self._workspace.working.streaks.get(user_id, Streak(user_id))

    async def lock(self, user_id: str) -> Streak:
        await self._workspace.lock_row("streaks", user_id)
        return self._workspace.working.streaks.setdefault(user_id, Streak(user_id))

    async def save(self, streak: Streak) -> None:
        await self._workspace.lock_row("streaks", streak.user_id)
        if streak.user_id in self._workspace.working.streaks:  # an UPDATE: a streak never locked is not created here
            self._workspace.working.streaks[streak.user_id] = streak
