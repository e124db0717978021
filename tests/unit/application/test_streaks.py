"""Streak use cases on the in-memory unit of work: reward, events and shield spent together or not at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.engagement.deps import EngagementDeps
from src.application.engagement.streaks import get_status, protect_streak, tick_streak
from src.domain.engagement.errors import NoStreakShield, StreakAlreadyProtected
from src.domain.engagement.events import StreakUpdated
from src.domain.wallet.events import BalanceChanged, RewardGranted
from src.domain.wallet.model import Currency
from tests.support.clocks import FakeClock

NOON = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
SHIELD = ("streak_shield", "Streak Shield", "Rare")


def _deps(store: InMemoryStore, clock: FakeClock) -> EngagementDeps:
    return EngagementDeps(lambda: InMemoryUnitOfWork(store), clock, UTC)


async def _shields(store: InMemoryStore, user_id: str) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        return sum(item.quantity for item in await uow.inventory.list(user_id))


async def test_a_tick_credits_the_reward_and_records_its_events_in_one_commit() -> None:
    store, user_id = InMemoryStore(), str(uuid.uuid4())

    result = await tick_streak(user_id, _deps(store, FakeClock(NOON)))

    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.wallets.balances(user_id) == {Currency.COINS: 100}
    assert result.balances == {"coins": 100}
    assert [type(event) for event in store.outbox] == [BalanceChanged, RewardGranted, StreakUpdated]
    assert store.outbox[-1].payload()["last_tick_date"] == "2031-05-06"


async def test_protect_takes_the_shield_and_sets_the_protection_together() -> None:
    store, user_id = InMemoryStore(), str(uuid.uuid4())
    deps = _deps(store, FakeClock(NOON))
    with pytest.raises(NoStreakShield):
        await protect_streak(user_id, deps)
    assert (await get_status(user_id, deps)).protected_until is None

    async with InMemoryUnitOfWork(store) as uow:
        await uow.inventory.add(user_id, [SHIELD, SHIELD], NOON)
        await uow.commit()
    view = await protect_streak(user_id, deps)
    with pytest.raises(StreakAlreadyProtected):
        await protect_streak(user_id, deps)

    assert view.protected_until == NOON.date() + timedelta(days=1)
    assert await _shields(store, user_id) == 1  # the refused protection spent nothing
