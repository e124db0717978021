"""Follow use cases: follow and unfollow (both idempotent), and the two lists, newest first."""

from __future__ import annotations

from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shared.ports import Clock
from src.application.social.ports import FollowsUnitOfWorkFactory, FollowView
from src.domain.shared.errors import NotFound
from src.domain.social.follow import check_can_follow


async def follow_user(follower_id: str, followee_id: str, uow_factory: FollowsUnitOfWorkFactory, clock: Clock) -> bool:
    """True when this call started the follow, False when it already existed."""
    check_can_follow(follower_id, followee_id)
    async with uow_factory() as uow:
        followee = await uow.users.get(followee_id)
        if followee is None or followee.deleted_at is not None:
            raise NotFound("no such user")
        created = await uow.follows.follow(follower_id, followee_id, clock.now())
        await uow.commit()
    return created


async def unfollow_user(follower_id: str, followee_id: str, uow_factory: FollowsUnitOfWorkFactory) -> bool:
    """Idempotent, and allowed for users since deleted; True when a follow was removed."""
    async with uow_factory() as uow:
        removed = await uow.follows.unfollow(follower_id, followee_id)
        await uow.commit()
    return removed


async def list_following(
    user_id: str, limit: int | None, cursor: str | None, uow_factory: FollowsUnitOfWorkFactory
) -> Page[FollowView]:
    checked_limit, after = check_limit(limit), decode_cursor(cursor)
    async with uow_factory() as uow:
        return await uow.follows.following(user_id, checked_limit, after)


async def list_followers(
    user_id: str, limit: int | None, cursor: str | None, uow_factory: FollowsUnitOfWorkFactory
) -> Page[FollowView]:
    checked_limit, after = check_limit(limit), decode_cursor(cursor)
    async with uow_factory() as uow:
        return await uow.follows.followers(user_id, checked_limit, after)
