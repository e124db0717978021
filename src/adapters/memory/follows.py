"""In-memory follows: the unit-test twin of SqlaFollowRepository.

`nickname_of` plays the users table: it answers None for an unknown or deleted user, who is then left out
of lists (the SQL join does the same). Calls never await midway, so each is atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from src.application.shared.pagination import Page, Position, encode_cursor
from src.application.social.ports import FollowView
from src.domain.shared.errors import NotFound
from src.domain.social.follow import CannotFollowSelf

NicknameLookup = Callable[[str], str | None]


class InMemoryFollowRepository:
    def __init__(self, nickname_of: NicknameLookup) -> None:
        self._nickname_of = nickname_of
        self._since: dict[tuple[str, str], datetime] = {}  # (follower, followee) → followed at

    async def follow(self, follower_id: str, followee_id: str, now: datetime) -> bool:
        if follower_id == followee_id:
            raise CannotFollowSelf
        if self._nickname_of(follower_id) is None or self._nickname_of(followee_id) is None:
            raise NotFound("no such user")
        if (follower_id, followee_id) in self._since:
            return False
        self._since[(follower_id, followee_id)] = now
        return True

    async def unfollow(self, follower_id: str, followee_id: str) -> bool:
        return self._since.pop((follower_id, followee_id), None) is not None

    async def following(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        pairs = [(followee, at) for (follower, followee), at in self._since.items() if follower == user_id]
        return self._page(pairs, limit, after)

    async def followers(self, user_id: str, limit: int, after: Position | None) -> Page[FollowView]:
        pairs = [(follower, at) for (follower, followee), at in self._since.items() if followee == user_id]
        return self._page(pairs, limit, after)

    def _page(self, pairs: list[tuple[str, datetime]], limit: int, after: Position | None) -> Page[FollowView]:
        """Newest first by (followed at, other user's id), like the SQL keyset pagination."""
        views = [
            FollowView(other, nickname, at) for other, at in pairs if (nickname := self._nickname_of(other)) is not None
        ]
        views.sort(key=lambda view: (view.followed_at, view.user_id), reverse=True)
        if after is not None:
            views = [view for view in views if (view.followed_at, view.user_id) < (after.created_at, after.id)]
        kept = views[:limit]
        has_more = len(views) > limit and bool(kept)
        next_cursor = encode_cursor(Position(kept[-1].followed_at, kept[-1].user_id)) if has_more else None
        return Page(kept, next_cursor)
