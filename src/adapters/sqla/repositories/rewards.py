"""SQL rewards: `add` is one INSERT … ON CONFLICT DO NOTHING, so a repeated reward id is refused without an
error that would abort the transaction (a concurrent insert of that id waits for the first to end)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.rewards import RewardRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.shared.pagination import Page, Position
from src.domain.engagement.rewards import Reward, RewardType


def _reward(row: Any) -> Reward:
    return Reward(
        reward_id=row.reward_id,
        user_id=row.user_id,
        reward_type=RewardType(row.reward_type),
        amount=row.amount,
        item_id=row.item_id,
        source=row.source,
        granted_by=row.granted_by,
        awarded_at=row.awarded_at,
    )


def _position(row: RewardRow) -> Position:
    return Position(row.awarded_at, row.reward_id)


class SqlaRewardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, reward: Reward) -> bool:
        values = {
            "reward_id": reward.reward_id,
            "user_id": reward.user_id,
            "reward_type": reward.reward_type.value,
            "amount": reward.amount,
            "item_id": reward.item_id,
            "source": reward.source,
            "granted_by": reward.granted_by,
            "awarded_at": reward.awarded_at,
        }
        insert = dialect_insert(self._db)(RewardRow).values(values)
        statement = insert.on_conflict_do_nothing(index_elements=[RewardRow.reward_id]).returning(RewardRow.reward_id)
        return (await self._db.execute(statement)).scalar_one_or_none() is not None

    async def get(self, reward_id: str) -> Reward | None:
        row = await self._db.get(RewardRow, reward_id, populate_existing=True)
        return None if row is None else _reward(row)

    async def list_for(self, user_id: str, limit: int, after: Position | None) -> Page[Reward]:
        statement = after_position(
            select(RewardRow).where(RewardRow.user_id == user_id), RewardRow.awarded_at, RewardRow.reward_id, after
        )
        rows = list((await self._db.execute(statement.limit(limit + 1))).scalars())
        return to_page(rows, limit, _reward, _position)
