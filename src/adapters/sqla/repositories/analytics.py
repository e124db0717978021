"""SQL tracked actions: one multi-row INSERT per report, keyset pages newest first, purges in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.analytics import PlayerActionRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.application.shared.pagination import Page, Position
from src.domain.analytics.actions import PlayerAction


def _action(row: PlayerActionRow) -> PlayerAction:
    return PlayerAction(
        action_id=row.action_id,
        user_id=row.user_id,
        action_type=row.action_type,
        context=dict(row.context),
        client_ts=row.client_ts,
        tracked_at=row.tracked_at,
    )


def _position(row: PlayerActionRow) -> Position:
    return Position(row.tracked_at, row.action_id)


class SqlaActionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add_many(self, actions: Sequence[PlayerAction]) -> None:
        if not actions:
            return
        values = [
            {
                "action_id": action.action_id,
                "user_id": action.user_id,
                "action_type": action.action_type,
                "context": action.context,
                "client_ts": action.client_ts,
                "tracked_at": action.tracked_at,
            }
            for action in actions
        ]
        await self._db.execute(insert(PlayerActionRow), values)

    async def recent(self, user_id: str, limit: int, after: Position | None) -> Page[PlayerAction]:
        statement = after_position(
            select(PlayerActionRow).where(PlayerActionRow.user_id == user_id),
            PlayerActionRow.tracked_at,
            PlayerActionRow.action_id,
            after,
        )
        rows = list((await self._db.execute(statement.limit(limit + 1))).scalars())
        return to_page(rows, limit, _action, _position)

    async def delete_before(self, cutoff: datetime, limit: int) -> int:
        oldest = (
            select(PlayerActionRow.action_id)
            .where(PlayerActionRow.tracked_at < cutoff)
            .order_by(PlayerActionRow.tracked_at)
            .limit(limit)
        )
        statement = delete(PlayerActionRow).where(PlayerActionRow.action_id.in_(oldest.scalar_subquery()))
        result = await self._db.execute(statement, execution_options={"synchronize_session": False})
        return int(getattr(result, "rowcount", 0) or 0)
