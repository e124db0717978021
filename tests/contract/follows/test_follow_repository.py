"""Contract of the FollowRepository port: memory, SQLite and PostgreSQL behave the same.

Each test runs once per adapter (ids "memory", "sqlite", "postgres"). Until the `follows` migration exists, the
SQL databases are migrated to head and the `follows` table is created on top from the model (checkfirst, so
this keeps working once the migration creates it). Each database is shared by this module, so every test
makes its own users (uuid4 ids) and only looks at their follows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from src.adapters.memory.follows import InMemoryFollowRepository
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.follows import FollowRow
from src.adapters.sqla.models.identity import UserRow
from src.adapters.sqla.repositories.follows import SqlaFollowRepository
from src.adapters.sqla.repositories.identity import SqlaUserRepository
from src.application.shared.pagination import decode_cursor
from src.application.social.ports import FollowRepository, FollowView
from src.domain.identity.model import User
from src.domain.shared.errors import NotFound
from src.domain.social.follow import CannotFollowSelf
from tests.support.databases import DatabaseReaper, create_database

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)


class Harness(Protocol):
    """One adapter with its users table: make users, then use the repository in committed transactions."""

    async def add_user(self, name: str) -> User: ...

    async def soft_delete(self, user_id: str) -> None: ...

    def repository(self) -> AbstractAsyncContextManager[FollowRepository]:
        """A repository in one transaction, committed when the block ends without an error."""
        ...


def _user(name: str) -> User:
    """Nicknames are unique per database, which the tests share: `name` plus a random suffix."""
    key = uuid.uuid4().hex
    return User(
        id=str(uuid.uuid4()),
        site_id=f"u_{key[:20]}",
        nickname=f"{name}{key[:8]}",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        created_at=NOW,
    )


class MemoryHarness:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self._repository = InMemoryFollowRepository(self._nickname_of)

    def _nickname_of(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        return None if user is None or user.deleted_at is not None else user.nickname

    async def add_user(self, name: str) -> User:
        user = _user(name)
        self.users[user.id] = user
        return user

    async def soft_delete(self, user_id: str) -> None:
        self.users[user_id].deleted_at = NOW

    @asynccontextmanager
    async def repository(self) -> AsyncIterator[FollowRepository]:
        yield self._repository


class SqlHarness:
    def __init__(self, database: SqlaDatabase) -> None:
        self.database = database

    async def add_user(self, name: str) -> User:
        user = _user(name)
        async with self.database.session_factory() as session:
            await SqlaUserRepository(session).add(user)
            await session.commit()
        return user

    async def soft_delete(self, user_id: str) -> None:
        async with self.database.session_factory() as session:
            users = SqlaUserRepository(session)
            user = await users.get(user_id)
            assert user is not None
            user.deleted_at = NOW
            await users.update(user)
            await session.commit()

    @asynccontextmanager
    async def repository(self) -> AsyncIterator[FollowRepository]:
        async with self.database.session_factory() as session:
            yield SqlaFollowRepository(session)
            await session.commit()


async def _create_follows_table(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: Base.metadata.tables[FollowRow.__tablename__].create(sync, checkfirst=True)
            )
    finally:
        await engine.dispose()


def _prepare(url: str) -> str:
    migrations.upgrade(url)
    asyncio.run(_create_follows_table(url))
    return url


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("follows") / "follows.db"
    return _prepare(f"sqlite+aiosqlite:///{path}")


@pytest.fixture(scope="module")
def postgres_url(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    """A database of this module's own: the session-wide one must not get tables its migrations lack."""
    name, url = asyncio.run(create_database("cc_follows", template=migrated_template))
    try:
        yield _prepare(url)
    finally:
        database_reaper.drop(name)


# Both databases are requested for every adapter: their fixtures run asyncio.run, which cannot be called
# lazily from inside this async fixture's running loop.
@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def harness(request: pytest.FixtureRequest, sqlite_url: str, postgres_url: str) -> AsyncIterator[Harness]:
    if request.param == "memory":
        yield MemoryHarness()
        return
    database = SqlaDatabase(sqlite_url if request.param == "sqlite" else postgres_url)
    try:
        yield SqlHarness(database)
    finally:
        await database.dispose()


async def _given_users(harness: Harness, *names: str) -> list[str]:
    return [(await harness.add_user(name)).id for name in names]


async def _follow(harness: Harness, follower_id: str, followee_id: str, at: datetime = NOW) -> bool:
    async with harness.repository() as sut:
        return await sut.follow(follower_id, followee_id, at)


async def _all_pages(harness: Harness, user_id: str, list_name: str, limit: int) -> list[list[FollowView]]:
    pages: list[list[FollowView]] = []
    cursor: str | None = None
    while True:
        async with harness.repository() as sut:
            page = await getattr(sut, list_name)(user_id, limit, decode_cursor(cursor))
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


# --- follow / unfollow -----------------------------------------------------------------------------------------------


async def test_follow_shows_in_following_and_followers_with_nickname_and_time(harness: Harness) -> None:
    alice_user, bob_user = await harness.add_user("Alice"), await harness.add_user("Bob")
    alice, bob = alice_user.id, bob_user.id
    at = datetime(2031, 5, 6, 14, 0, 0, 654321, tzinfo=timezone(timedelta(hours=2)))

    async with harness.repository() as sut:
        created = await sut.follow(alice, bob, at)
    async with harness.repository() as sut:
        following, followers = await sut.following(alice, 10, None), await sut.followers(bob, 10, None)
        bobs_following, alices_followers = await sut.following(bob, 10, None), await sut.followers(alice, 10, None)

    assert created is True
    assert following.items == [FollowView(bob, bob_user.nickname, at)]
    assert followers.items == [FollowView(alice, alice_user.nickname, at)]
    assert following.items[0].followed_at.utcoffset() is not None
    assert (following.next_cursor, followers.next_cursor) == (None, None)
    assert (bobs_following.items, alices_followers.items) == ([], [])


async def test_follow_again_is_false_and_keeps_the_first_time(harness: Harness) -> None:
    alice, bob_user = await harness.add_user("Alice"), await harness.add_user("Bob")
    await _follow(harness, alice.id, bob_user.id, NOW)

    again = await _follow(harness, alice.id, bob_user.id, NOW + timedelta(hours=1))

    async with harness.repository() as sut:
        following = await sut.following(alice.id, 10, None)
    assert again is False
    assert following.items == [FollowView(bob_user.id, bob_user.nickname, NOW)]


async def test_follows_are_directed(harness: Harness) -> None:
    alice, bob = await _given_users(harness, "Alice", "Bob")
    await _follow(harness, alice, bob)

    back = await _follow(harness, bob, alice, NOW + timedelta(seconds=1))

    async with harness.repository() as sut:
        alice_follows, alice_followers = await sut.following(alice, 10, None), await sut.followers(alice, 10, None)
    assert back is True
    assert [view.user_id for view in alice_follows.items] == [bob]
    assert [view.user_id for view in alice_followers.items] == [bob]


async def test_concurrent_follows_of_one_pair_create_it_once(harness: Harness) -> None:
    alice, bob = await _given_users(harness, "Alice", "Bob")

    answers = await asyncio.gather(*(_follow(harness, alice, bob) for _ in range(5)))

    assert answers.count(True) == 1
    async with harness.repository() as sut:
        assert len((await sut.followers(bob, 10, None)).items) == 1


async def test_unfollow_removes_once(harness: Harness) -> None:
    alice, bob = await _given_users(harness, "Alice", "Bob")
    await _follow(harness, alice, bob)

    async with harness.repository() as sut:
        first = await sut.unfollow(alice, bob)
    async with harness.repository() as sut:
        second = await sut.unfollow(alice, bob)
        following, followers = await sut.following(alice, 10, None), await sut.followers(bob, 10, None)

    assert (first, second) == (True, False)
    assert (following.items, followers.items) == ([], [])


async def test_follow_after_unfollow_starts_anew(harness: Harness) -> None:
    alice, bob = await _given_users(harness, "Alice", "Bob")
    await _follow(harness, alice, bob, NOW)
    async with harness.repository() as sut:
        await sut.unfollow(alice, bob)

    again = await _follow(harness, alice, bob, NOW + timedelta(days=1))

    async with harness.repository() as sut:
        following = await sut.following(alice, 10, None)
    assert again is True
    assert [(view.user_id, view.followed_at) for view in following.items] == [(bob, NOW + timedelta(days=1))]


async def test_follow_of_an_unknown_user_is_not_found(harness: Harness) -> None:
    [alice] = await _given_users(harness, "Alice")

    with pytest.raises(NotFound):
        await _follow(harness, alice, str(uuid.uuid4()))


async def test_follow_by_an_unknown_user_is_not_found(harness: Harness) -> None:
    [bob] = await _given_users(harness, "Bob")

    with pytest.raises(NotFound):
        await _follow(harness, str(uuid.uuid4()), bob)


async def test_follow_of_oneself_is_refused(harness: Harness) -> None:
    [alice] = await _given_users(harness, "Alice")

    with pytest.raises(CannotFollowSelf):
        await _follow(harness, alice, alice)

    async with harness.repository() as sut:
        assert (await sut.following(alice, 10, None)).items == []


# --- lists -----------------------------------------------------------------------------------------------------------


async def test_lists_are_newest_first_ties_by_user_id_and_cursors_walk_them_all(harness: Harness) -> None:
    [star] = await _given_users(harness, "Star")
    fans = await _given_users(harness, *(f"Fan{n}" for n in range(7)))
    times = [NOW - timedelta(minutes=n // 3) for n in range(7)]  # three follows share each minute
    for fan, at in zip(fans, times, strict=True):
        await _follow(harness, fan, star, at)
        await _follow(harness, star, fan, at)
    expected = sorted(zip(times, fans, strict=True), reverse=True)

    for list_name in ("followers", "following"):
        pages = await _all_pages(harness, star, list_name, limit=2)

        assert [len(page) for page in pages] == [2, 2, 2, 1]
        assert [(view.followed_at, view.user_id) for page in pages for view in page] == expected


async def test_a_full_last_page_has_no_cursor(harness: Harness) -> None:
    [star] = await _given_users(harness, "Star")
    for n, fan in enumerate(await _given_users(harness, "Fan0", "Fan1", "Fan2", "Fan3")):
        await _follow(harness, fan, star, NOW + timedelta(seconds=n))

    pages = await _all_pages(harness, star, "followers", limit=2)

    assert [len(page) for page in pages] == [2, 2]


async def test_soft_deleted_users_are_left_out_of_lists(harness: Harness) -> None:
    alice, bob, carol = await _given_users(harness, "Alice", "Bob", "Carol")
    await _follow(harness, alice, bob)
    await _follow(harness, carol, bob)
    await _follow(harness, alice, carol)

    await harness.soft_delete(carol)

    async with harness.repository() as sut:
        followers, following = await sut.followers(bob, 10, None), await sut.following(alice, 10, None)
    assert [view.user_id for view in followers.items] == [alice]
    assert [view.user_id for view in following.items] == [bob]


# --- SQL only --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
async def test_sql_deleting_a_user_row_deletes_their_follows(engine: str, sqlite_url: str, postgres_url: str) -> None:
    harness = SqlHarness(SqlaDatabase(sqlite_url if engine == "sqlite" else postgres_url))
    try:
        alice, bob = await _given_users(harness, "Alice", "Bob")
        await _follow(harness, alice, bob)
        await _follow(harness, bob, alice)

        async with harness.database.session_factory() as session:
            await session.execute(delete(UserRow).where(UserRow.id == alice))
            await session.commit()

        async with harness.database.session_factory() as session:
            involving_alice = (FollowRow.follower_id == alice) | (FollowRow.followee_id == alice)
            left = (await session.execute(select(func.count()).select_from(FollowRow).where(involving_alice))).scalar()
        assert left == 0
    finally:
        await harness.database.dispose()
