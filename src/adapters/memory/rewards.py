"""In-memory rewards: the unit-test twin of the SQL repository; a reward id is unique as its primary key is."""

from __future__ import annotations

from src.adapters.memory.engagement import EngagementTables
from src.adapters.memory.identity import Workspace
from src.application.shared.pagination import Page, Position, encode_cursor
from src.domain.engagement.rewards import Reward


def _position(reward: Reward) -> Position:
    return Position(reward.awarded_at, reward.reward_id)


class InMemoryRewardRepository:
    def __init__(self, workspace: Workspace[EngagementTables]) -> None:
        self._workspace = workspace

    async def add(self, reward: Reward) -> bool:
        """The id's row lock makes a concurrent add of the same id wait, then see the first one's outcome."""
        await self._workspace.lock_row("rewards", reward.reward_id)
        if reward.reward_id in self._workspace.working.rewards:
            return False
        self._workspace.working.rewards[reward.reward_id] = reward
        return True

    async def get(self, reward_id: str) -> Reward | None:
        return self._workspace.working.rewards.get(reward_id)

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[Reward]:
        rewards = sorted(
            (reward for reward in self._workspace.working.rewards.values() if reward.user_id == user_id),
            key=lambda reward: (reward.awarded_at, reward.reward_id),
            reverse=True,
        )
        if after is not None:
            cut = (after.created_at, after.id)
            rewards = [reward for reward in rewards if (reward.awarded_at, reward.reward_id) < cut]
        kept = rewards[:limit]
        more = len(rewards) > limit and kept
        return Page(kept, encode_cursor(_position(kept[-1])) if more else None)
