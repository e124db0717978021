"""Contract of a unit of work's repositories (built on first use): memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver import driver_execute, driver_outside_transaction
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.domain.identity.model import User
from src.domain.limits.model import PlayerLimits, Restriction, RestrictionKind
from tests.contract.identity.conftest import UnitOfWorkFactory

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _user() -> User:
    key = uuid.uuid4().hex
    return User(str(uuid.uuid4()), f"u_{key[:20]}", f"Nick{key[:12]}", "$argon2id$hash", NOW)


async def test_a_repository_is_one_object_within_a_block_and_a_new_one_in_the_next(
    uow_factory: UnitOfWorkFactory,
) -> None:
    sut = uow_factory()
    async with sut:
        first = sut.users
        assert sut.users is first
    async with sut:
        assert sut.users is not first


async def test_a_repository_is_refused_outside_the_block(uow_factory: UnitOfWorkFactory) -> None:
    sut = uow_factory()
    with pytest.raises(RuntimeError):
        _ = sut.users
    async with sut:
        _ = sut.users
    with pytest.raises(RuntimeError):
        _ = sut.sessions


async def test_a_unit_of_work_reads_what_was_committed_before_its_first_read(uow_factory: UnitOfWorkFactory) -> None:
    """The first read of a block starts its view: a commit made after entering but before it is seen."""
    user = _user()
    async with uow_factory() as sut:
        async with uow_factory() as other:
            await other.users.add(user)
            await other.commit()
        found = await sut.users.get(user.id)
    assert found is not None
    assert found.site_id == user.site_id


async def test_the_restricted_among_some_players_are_those_whose_restriction_lasts(
    uow_factory: UnitOfWorkFactory,
) -> None:
    timed_out, over, free, never = (_user() for _ in range(4))
    async with uow_factory() as sut:
        for user in (timed_out, over, free, never):
            await sut.users.add(user)
        for user, restriction in (
            (timed_out, Restriction(RestrictionKind.TIME_OUT, NOW + timedelta(hours=1))),
            (over, Restriction(RestrictionKind.SELF_EXCLUSION, NOW - timedelta(seconds=1))),
            (free, None),
        ):
            await sut.limits.lock(user.id)
            await sut.limits.save(PlayerLimits(user.id, restriction=restriction))
        await sut.commit()

    async with uow_factory() as sut:
        found = await sut.limits.restricted_among([u.id for u in (timed_out, over, free, never)], NOW)
        none = await sut.limits.restricted_among([], NOW)

    assert (found, none) == ({timed_out.id}, set())


async def test_a_block_left_by_an_exception_writes_nothing_and_a_committed_one_keeps_its_writes(
    uow_factory: UnitOfWorkFactory,
) -> None:
    lost, kept = _user(), _user()

    async def add_then_fail() -> None:
        async with uow_factory() as sut:
            await sut.users.add(lost)
            assert await sut.users.get(lost.id) is not None  # sent, inside the block's transaction
            raise LookupError

    with pytest.raises(LookupError):
        await add_then_fail()
    async with uow_factory() as sut:
        await sut.users.add(kept)
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.users.get(lost.id) is None
        assert await sut.users.get(kept.id) is not None


async def test_a_connection_goes_back_to_the_pool_out_of_any_transaction(pg_url: str) -> None:
    """A block left uncommitted after a driver-level statement, by an exception or not, leaves its connection
    to the next block (the pool's only one) with no transaction open."""
    database = SqlaDatabase(pg_url, pool_size=1)

    async def begin_then_fail() -> None:
        async with SqlaUnitOfWork(database.session_factory) as sut:
            await driver_execute(sut.session, "SELECT 1")
            raise LookupError

    try:
        with pytest.raises(LookupError):
            await begin_then_fail()
        async with SqlaUnitOfWork(database.session_factory) as sut:
            assert await driver_outside_transaction(sut.session) is not None
            await driver_execute(sut.session, "SELECT 1")
        async with SqlaUnitOfWork(database.session_factory) as sut:
            driver = await driver_outside_transaction(sut.session)
            assert driver is not None
            assert not driver.is_in_transaction()
    finally:
        await database.dispose()
