"""Follow use cases on the in-memory follow repository and a tiny unit of work over known users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import pytest

from src.adapters.memory.follows import InMemoryFollowRepository
from src.application.social.follows import follow_user, list_followers, list_following, unfollow_user
from src.application.social.ports import FollowsUnitOfWork, FollowView
from src.domain.identity.model import User
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.social.follow import CannotFollowSelf
from tests.support.clocks import FakeClock

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


class FakeUsers:
    def __init__(self) -> None:
        self.rows: dict[str, User] = {}

    async def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)


class FakeUnitOfWork:
    """Just what the follow handlers use: `.users`, `.follows`, and a count of commits."""

    def __init__(self, users: FakeUsers, follows: InMemoryFollowRepository) -> None:
        self.users = users
        self.follows = follows
        self.commits = 0
        self.opened = 0

    async def __aenter__(self) -> Self:
        self.opened += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


class World:
    def __init__(self) -> None:
        self.users = FakeUsers()
        self.uow = FakeUnitOfWork(self.users, InMemoryFollowRepository(self._nickname_of))
        self.clock = FakeClock(NOW)

    def _nickname_of(self, user_id: str) -> str | None:
        user = self.users.rows.get(user_id)
        return None if user is None or user.deleted_at is not None else user.nickname

    def uow_factory(self) -> FollowsUnitOfWork:
        return self.uow  # type: ignore[return-value]  # a fake with only what these handlers use

    def given_user(self, user_id: str, deleted: bool = False) -> str:
        self.users.rows[user_id] = User(
            id=user_id,
            site_id=f"site_{user_id}",
            nickname=user_id.capitalize(),
            password_hash="hash",
            created_at=NOW,
            deleted_at=NOW if deleted else None,
        )
        return user_id

    async def follow(self, follower_id: str, followee_id: str) -> bool:
        return await follow_user(follower_id, followee_id, self.uow_factory, self.clock)


@pytest.fixture
def world() -> World:
    world = World()
    for user_id in ("alice", "bob", "carol"):
        world.given_user(user_id)
    return world


# --- follow_user -----------------------------------------------------------------------------------------------------


async def test_follow_user_records_the_follow_on_both_lists_and_commits(world: World) -> None:
    created = await follow_user("alice", "bob", world.uow_factory, world.clock)

    following = await list_following("alice", None, None, world.uow_factory)
    followers = await list_followers("bob", None, None, world.uow_factory)
    assert created is True
    assert world.uow.commits == 1
    assert following.items == [FollowView("bob", "Bob", NOW)]
    assert followers.items == [FollowView("alice", "Alice", NOW)]


async def test_follow_user_twice_is_idempotent_and_keeps_the_first_time(world: World) -> None:
    await world.follow("alice", "bob")
    world.clock.at = NOW + timedelta(hours=1)

    again = await follow_user("alice", "bob", world.uow_factory, world.clock)

    following = await list_following("alice", None, None, world.uow_factory)
    assert again is False
    assert following.items == [FollowView("bob", "Bob", NOW)]


async def test_following_oneself_is_refused_before_any_work(world: World) -> None:
    with pytest.raises(CannotFollowSelf) as refused:
        await follow_user("alice", "alice", world.uow_factory, world.clock)

    assert refused.value.code == "VALIDATION_ERROR"
    assert refused.value.message == "you cannot follow yourself"
    assert refused.value.details == {
        "fields": [{"key": "user_id", "message": "you cannot follow yourself", "source": "path"}]
    }
    assert world.uow.opened == 0


@pytest.mark.parametrize("followee", ["nobody", "ghost"])
async def test_following_an_unknown_or_deleted_user_is_not_found(world: World, followee: str) -> None:
    world.given_user("ghost", deleted=True)

    with pytest.raises(NotFound):
        await follow_user("alice", followee, world.uow_factory, world.clock)

    assert world.uow.commits == 0
    assert (await list_following("alice", None, None, world.uow_factory)).items == []


# --- unfollow_user ---------------------------------------------------------------------------------------------------


async def test_unfollow_user_removes_the_follow_then_answers_false(world: World) -> None:
    await world.follow("alice", "bob")

    first = await unfollow_user("alice", "bob", world.uow_factory)
    second = await unfollow_user("alice", "bob", world.uow_factory)

    assert (first, second) == (True, False)
    assert (await list_followers("bob", None, None, world.uow_factory)).items == []


async def test_unfollowing_a_user_deleted_since_still_removes_the_follow(world: World) -> None:
    await world.follow("alice", "bob")
    world.users.rows["bob"].deleted_at = NOW

    removed = await unfollow_user("alice", "bob", world.uow_factory)

    world.users.rows["bob"].deleted_at = None  # restored, so a follow left behind would show in the list
    assert removed is True
    assert (await list_following("alice", None, None, world.uow_factory)).items == []


# --- list_following / list_followers ---------------------------------------------------------------------------------


async def test_lists_page_newest_first_with_cursors(world: World) -> None:
    fans = [world.given_user(f"fan{n}") for n in range(5)]
    for n, fan in enumerate(fans):
        world.clock.at = NOW + timedelta(minutes=n)
        await world.follow(fan, "carol")

    first = await list_followers("carol", 2, None, world.uow_factory)
    second = await list_followers("carol", 2, first.next_cursor, world.uow_factory)
    last = await list_followers("carol", 2, second.next_cursor, world.uow_factory)

    pages = [[view.user_id for view in page.items] for page in (first, second, last)]
    assert pages == [["fan4", "fan3"], ["fan2", "fan1"], ["fan0"]]
    assert last.next_cursor is None


async def test_lists_default_to_twenty_items(world: World) -> None:
    for n in range(21):
        world.clock.at = NOW + timedelta(seconds=n)
        await world.follow("alice", world.given_user(f"star{n:02d}"))

    page = await list_following("alice", None, None, world.uow_factory)

    assert len(page.items) == 20
    assert page.next_cursor is not None


@pytest.mark.parametrize("limit", [0, 101])
async def test_lists_refuse_a_limit_out_of_range(world: World, limit: int) -> None:
    with pytest.raises(InvalidInput):
        await list_following("alice", limit, None, world.uow_factory)
    with pytest.raises(InvalidInput):
        await list_followers("alice", limit, None, world.uow_factory)


async def test_lists_refuse_a_cursor_that_is_not_one_of_ours(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await list_followers("bob", 10, "not-a-cursor", world.uow_factory)

    assert refused.value.details == {"fields": [{"key": "cursor", "source": "query"}]}
