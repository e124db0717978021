"""Contract of the streak repository: memory, SQLite and PostgreSQL keep, lock and roll back streaks alike."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from src.domain.engagement.streak import Streak
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import until_waiting

pytestmark = pytest.mark.asyncio

DAY = date(2031, 5, 6)


async def test_a_player_who_never_ticked_has_an_empty_streak(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        read = await sut.streaks.get(user_id)
        locked = await sut.streaks.lock(user_id)

    assert read == locked == Streak(user_id, 0, 0, None, None)


async def test_a_saved_streak_reads_back_equal_dates_included(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)
    saved = Streak(user_id, count=3, best=5, last_tick_date=DAY, protected_until=date(2031, 5, 7))

    async with uow_factory() as sut:
        await sut.streaks.lock(user_id)
        await sut.streaks.save(saved)
        await sut.commit()
    async with uow_factory() as sut:
        read, other = await sut.streaks.get(user_id), await sut.streaks.get(stranger)
        relocked = await sut.streaks.lock(user_id)

    assert read == relocked == saved
    assert other == Streak(stranger)


async def test_a_streak_saved_without_commit_leaves_no_trace(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        await sut.streaks.lock(user_id)
        await sut.streaks.save(Streak(user_id, 1, 1, DAY))
    async with uow_factory() as sut:
        assert await sut.streaks.get(user_id) == Streak(user_id)


async def test_overlapping_changes_of_one_streak_queue_on_the_locked_row(uow_factory: UnitOfWorkFactory) -> None:
    """The second unit of work waits for the first's commit and then sees its streak, as two ticks would."""
    user_id = await given_user(uow_factory)
    first_locked = asyncio.Event()
    still_waiting: list[bool] = []

    async def first() -> None:
        async with uow_factory() as uow:
            await uow.streaks.lock(user_id)
            first_locked.set()
            await until_waiting(uow)
            still_waiting.append(not second_task.done())  # the second is waiting for the row
            await uow.streaks.save(Streak(user_id, 1, 1, DAY))
            await uow.commit()

    async def second() -> Streak:
        await first_locked.wait()
        async with uow_factory() as uow:
            seen = await uow.streaks.lock(user_id)
            await uow.commit()
        return seen

    second_task = asyncio.create_task(second())
    await first()

    assert still_waiting == [True]
    assert await second_task == Streak(user_id, 1, 1, DAY)
