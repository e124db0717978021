"""Contract of a unit of work's repositories (built on first use): memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

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
