"""Contract of the reward repository: memory, SQLite and PostgreSQL keep, refuse repeats of and page rewards alike."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.application.shared.pagination import decode_cursor
from src.domain.engagement.rewards import Reward, RewardType
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import until_waiting

pytestmark = pytest.mark.asyncio

AWARDED = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _reward(user_id: str, minutes: int = 0, **overrides: object) -> Reward:
    fields: dict[str, object] = {
        "reward_id": f"rw_{uuid.uuid4().hex}",
        "user_id": user_id,
        "reward_type": RewardType.COIN,
        "amount": 100,
        "item_id": None,
        "source": "contract",
        "granted_by": None,
        "awarded_at": AWARDED + timedelta(minutes=minutes),
    }
    return Reward(**(fields | overrides))  # type: ignore[arg-type]


async def _add(uow_factory: UnitOfWorkFactory, *rewards: Reward) -> list[bool]:
    async with uow_factory() as uow:
        added = [await uow.rewards.add(reward) for reward in rewards]
        await uow.commit()
    return added


async def test_a_reward_reads_back_equal_items_and_granters_included(uow_factory: UnitOfWorkFactory) -> None:
    user_id, admin_id = await given_user(uow_factory), await given_user(uow_factory)
    coins = _reward(user_id, granted_by=admin_id)
    item = _reward(user_id, 1, reward_type=RewardType.ITEM, amount=3, item_id="streak_shield", source="event")

    assert await _add(uow_factory, coins, item) == [True, True]
    async with uow_factory() as sut:
        assert await sut.rewards.get(coins.reward_id) == coins
        assert await sut.rewards.get(item.reward_id) == item
        assert await sut.rewards.get("rw_missing") is None


async def test_a_repeated_reward_id_is_refused_and_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    first = _reward(user_id, amount=100)
    await _add(uow_factory, first)

    async with uow_factory() as sut:
        added = await sut.rewards.add(_reward(user_id, 5, reward_id=first.reward_id, amount=999))
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.rewards.get(first.reward_id)

    assert added is False
    assert stored == first


async def test_a_reward_added_without_commit_leaves_no_trace(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    reward = _reward(user_id)

    async with uow_factory() as sut:
        await sut.rewards.add(reward)
    async with uow_factory() as sut:
        assert await sut.rewards.get(reward.reward_id) is None
        assert (await sut.rewards.list_for(user_id, 10, None)).items == []
        assert await sut.rewards.add(reward) is True  # the id is free again


async def test_rewards_page_newest_first_and_only_the_players_own(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)
    same_time = [_reward(user_id, 2) for _ in range(2)]  # a tie on awarded_at: the reward id orders them
    rewards = [_reward(user_id, 0), _reward(user_id, 1), *same_time, _reward(user_id, 3)]
    await _add(uow_factory, *rewards, _reward(stranger, 9))
    expected = sorted(rewards, key=lambda reward: (reward.awarded_at, reward.reward_id), reverse=True)

    async with uow_factory() as sut:
        first = await sut.rewards.list_for(user_id, 2, None)
        second = await sut.rewards.list_for(user_id, 2, decode_cursor(first.next_cursor))
        last = await sut.rewards.list_for(user_id, 2, decode_cursor(second.next_cursor))

    assert first.items + second.items + last.items == expected
    assert first.next_cursor is not None
    assert second.next_cursor is not None
    assert last.next_cursor is None
    assert len(last.items) == 1


async def test_concurrent_adds_of_one_id_record_it_once(uow_factory: UnitOfWorkFactory) -> None:
    """The second add waits for the first's commit, then is refused: a grant raced by its retry applies once."""
    user_id = await given_user(uow_factory)
    reward = _reward(user_id)
    first_added = asyncio.Event()

    async def first() -> bool:
        async with uow_factory() as uow:
            added = await uow.rewards.add(reward)
            first_added.set()
            await until_waiting(uow)  # the second add waits for this commit
            await uow.commit()
        return added

    async def second() -> bool:
        await first_added.wait()
        async with uow_factory() as uow:
            added = await uow.rewards.add(_reward(user_id, 1, reward_id=reward.reward_id, amount=7))
            await uow.commit()
        return added

    assert await asyncio.gather(first(), second()) == [True, False]
    async with uow_factory() as sut:
        assert await sut.rewards.get(reward.reward_id) == reward
