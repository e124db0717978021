"""What the social use cases need from the world."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.identity.ports import HasUsers
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import UnitOfWork


@dataclass(frozen=True)
class FollowView:
    """The other side of a follow: who, under which nickname, since when."""

    user_id: str
    nickname: str
    followed_at: datetime


class FollowRepository(Protocol):
    async def follow(self, follower_id: str, followee_id: str, now: datetime) -> bool:
        """False when already following: the first follow's time is kept."""
        ...

    async def unfollow(self, follower_id: str, followee_id: str) -> bool:
        """False when there was nothing to remove."""
        ...

    async def following(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        """Whom `user_id` follows, newest follow first; deleted users are left out."""
        ...

    async def followers(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        """Who follows `user_id`, newest follow first; deleted users are left out."""
        ...


class FollowsUnitOfWork(UnitOfWork, HasUsers, Protocol):
    """The follows, and the users (a followee must exist)."""

    @property
    def follows(self) -> FollowRepository: ...


FollowsUnitOfWorkFactory = Callable[[], FollowsUnitOfWork]
