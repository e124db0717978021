"""The excluded-identity register on every store: the later end wins, only running exclusions count, ended ones are
forgotten, and nothing is kept when the unit of work is not committed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from src.domain.identity.exclusions import identity_digests
from tests.contract.identity.conftest import UnitOfWorkFactory

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _digests() -> frozenset[str]:
    key = uuid.uuid4().hex
    return identity_digests(f"p_{key[:12]}", f"{key}@example.com", None)


async def _add(uow_factory: UnitOfWorkFactory, digests: frozenset[str], until: datetime) -> None:
    async with uow_factory() as uow:
        await uow.excluded_identities.add(digests, until)
        await uow.commit()


async def _until(uow_factory: UnitOfWorkFactory, digests: frozenset[str], now: datetime = NOW) -> datetime | None:
    async with uow_factory() as uow:
        return await uow.excluded_identities.excluded_until(digests, now)


async def test_a_kept_digest_answers_its_end_and_the_later_end_wins(uow_factory: UnitOfWorkFactory) -> None:
    digests = _digests()
    one_of_them = frozenset(sorted(digests)[:1])
    await _add(uow_factory, digests, NOW + timedelta(days=30))
    await _add(uow_factory, one_of_them, NOW + timedelta(days=10))  # an earlier end does not shorten it
    await _add(uow_factory, one_of_them, NOW + timedelta(days=60))

    assert await _until(uow_factory, one_of_them) == NOW + timedelta(days=60)
    assert await _until(uow_factory, digests) == NOW + timedelta(days=60)
    assert await _until(uow_factory, digests - one_of_them) == NOW + timedelta(days=30)
    assert await _until(uow_factory, _digests()) is None
    assert await _until(uow_factory, frozenset()) is None


async def test_an_ended_exclusion_no_longer_counts_and_the_sweep_forgets_it(uow_factory: UnitOfWorkFactory) -> None:
    ended, running = _digests(), _digests()
    await _add(uow_factory, ended, NOW - timedelta(seconds=1))
    await _add(uow_factory, running, NOW + timedelta(days=1))

    before_sweep = await _until(uow_factory, ended)
    async with uow_factory() as uow:
        forgotten = await uow.excluded_identities.forget_ended(NOW)
        await uow.commit()

    assert before_sweep is None
    assert forgotten >= len(ended)  # PostgreSQL's database is shared by the session's tests
    async with uow_factory() as uow:  # the ended rows are gone: even an earlier "now" does not see them
        assert await uow.excluded_identities.excluded_until(ended, NOW - timedelta(days=1)) is None
    assert await _until(uow_factory, running) == NOW + timedelta(days=1)


async def test_nothing_is_kept_without_a_commit(uow_factory: UnitOfWorkFactory) -> None:
    digests = _digests()
    async with uow_factory() as uow:
        await uow.excluded_identities.add(digests, NOW + timedelta(days=1))

    assert await _until(uow_factory, digests) is None


async def test_a_sweep_rolled_back_forgets_nothing(uow_factory: UnitOfWorkFactory) -> None:
    digests = _digests()
    await _add(uow_factory, digests, NOW - timedelta(days=1))
    async with uow_factory() as uow:
        await uow.excluded_identities.forget_ended(NOW)  # not committed

    assert await _until(uow_factory, digests, NOW - timedelta(days=2)) == NOW - timedelta(days=1)
