"""SQL follows: one row per (follower, followee); lists join the users table for nicknames."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.errors import violated_constraint
from src.adapters.sqla.models.follows import FollowRow
from src.adapters.sqla.models.identity import UserRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.shared.pagination import Page, Position
from src.application.social.ports import FollowView
from src.domain.shared.errors import NotFound
from src.domain.social.follow import CannotFollowSelf

_SELF_FOLLOW = {"ck_follows_not_self": "ck_follows_not_self"}


def _view(row: Any) -> FollowView:
    return FollowView(user_id=row.user_id, nickname=row.nickname, followed_at=row.created_at)


def _position(row: Any) -> Position:
    return Position(row.created_at, row.user_id)


class SqlaFollowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def follow(self, follower_id: str, followee_id: str, now: datetime) -> bool:
        statement = (
            dialect_insert(self._session)(FollowRow)
            .values(follower_id=follower_id, followee_id=followee_id, created_at=now)
            .on_conflict_do_nothing(index_elements=[FollowRow.follower_id, FollowRow.followee_id])
        )
        try:
            result = await self._session.execute(statement)
        except IntegrityError as exc:  # a repeated pair is no conflict (above): a self-follow or a missing user
            if violated_constraint(exc, _SELF_FOLLOW):
                raise CannotFollowSelf from exc
            raise NotFound("no such user") from exc
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def unfollow(self, follower_id: str, followee_id: str) -> bool:
        statement = delete(FollowRow).where(FollowRow.follower_id == follower_id, FollowRow.followee_id == followee_id)
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def following(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        return await self._page(FollowRow.follower_id, FollowRow.followee_id, user_id, limit, after)

    async def followers(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        return await self._page(FollowRow.followee_id, FollowRow.follower_id, user_id, limit, after)

    async def _page(self, mine: Any, other: Any, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        """Rows where `mine` is the user, newest first by (created_at, the other side's id)."""
        statement = (
            select(other.label("user_id"), UserRow.nickname, FollowRow.created_at)
            .join(UserRow, UserRow.id == other)
            .where(mine == user_id, UserRow.deleted_at.is_(None))
        )
        rows = (
            await self._session.execute(after_position(statement, FollowRow.created_at, other, after).limit(limit + 1))
        ).all()
        return to_page(rows, limit, _view, _position)
