"""`credit`, the one way every context gives a player money: the ledger row and the events that tell of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.wallet.ledger import Grant, credit
from src.domain.identity.model import User
from src.domain.wallet.errors import AlreadyApplied
from src.domain.wallet.events import BalanceChanged, RewardGranted
from src.domain.wallet.model import Currency, Movement

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


async def _given_user(store: InMemoryStore) -> str:
    user = User(id=str(uuid.uuid4()), site_id="u_player", nickname="Player", password_hash="x", created_at=NOW)
    async with InMemoryUnitOfWork(store) as uow:
        await uow.users.add(user)
        await uow.commit()
    return user.id


async def test_a_grant_writes_one_ledger_row_then_tells_of_the_balance_and_the_reward(store: InMemoryStore) -> None:
    user_id = await _given_user(store)
    movement = Movement(user_id, Currency.GEMS, 40, "reward", "reward", "rw_1")

    async with InMemoryUnitOfWork(store) as sut:
        entry = await credit(sut, movement, NOW, Grant("tournament_prize", "admin-1", "rw_1", "GEM"))
        await sut.commit()

    assert (entry.delta, entry.balance_after, entry.reason, entry.ref_id) == (40, 40, "reward", "rw_1")
    changed, granted = store.outbox
    assert changed == BalanceChanged(
        aggregate_id=user_id,
        occurred_at=NOW,
        event_id=changed.event_id,
        currency="gems",
        delta=40,
        balance_after=40,
        reason="reward",
        ref_type="reward",
        ref_id="rw_1",
    )
    assert granted == RewardGranted(
        aggregate_id=user_id,
        occurred_at=NOW,
        event_id=granted.event_id,
        currency="gems",
        amount=40,
        source="tournament_prize",
        granted_by="admin-1",
        reward_id="rw_1",
        reward_type="GEM",
    )


async def test_a_credit_that_is_no_grant_tells_of_the_balance_only(store: InMemoryStore) -> None:
    user_id = await _given_user(store)

    async with InMemoryUnitOfWork(store) as sut:
        await credit(sut, Movement(user_id, Currency.COINS, 1000, "signup_bonus", "user", user_id), NOW)
        await sut.commit()

    assert [type(event) for event in store.outbox] == [BalanceChanged]


async def test_a_credit_already_applied_records_nothing(store: InMemoryStore) -> None:
    user_id = await _given_user(store)
    movement = Movement(user_id, Currency.GEMS, 100, "purchase", "purchase", "tx-1")
    async with InMemoryUnitOfWork(store) as uow:
        await credit(uow, movement, NOW, Grant("purchase"))
        await uow.commit()

    async with InMemoryUnitOfWork(store) as sut:
        with pytest.raises(AlreadyApplied):
            await credit(sut, movement, NOW, Grant("purchase"))
        await sut.commit()

    assert [type(event) for event in store.outbox] == [BalanceChanged, RewardGranted]
    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.wallets.balances(user_id) == {Currency.GEMS: 100}
