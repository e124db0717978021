"""Reward use cases on the in-memory unit of work: the reward, its effect and its events go together, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.engagement.deps import RewardDeps
from src.application.engagement.rewards import GrantReward, grant_reward, list_rewards
from src.application.realtime.events import publication_of
from src.application.shared.audit import AuditQuery
from src.application.shared.commands import ClientInfo
from src.application.shared.idempotency import IdempotencyKeyReused
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.rewards import RewardRequest, RewardType
from src.domain.identity.model import User
from src.domain.shared.errors import Forbidden, InvalidInput, NotFound
from src.domain.shared.principal import Principal, Rank
from src.domain.wallet.events import BalanceChanged, RewardGranted
from src.domain.wallet.model import Currency
from tests.support.clocks import FakeClock

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
ADMIN = Principal(user_id="admin-1", session_id="s-1", rank=Rank.STANDARD, is_admin=True)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def deps(store: InMemoryStore) -> RewardDeps:
    return RewardDeps(lambda: InMemoryUnitOfWork(store), FakeClock(NOW), SecretsIdGenerator())


async def _player(deps: RewardDeps, deleted: bool = False) -> str:
    key = uuid.uuid4().hex[:8]
    user = User(id=str(uuid.uuid4()), site_id=f"u_{key}", nickname=f"P{key}", password_hash="x", created_at=NOW)
    if deleted:
        user.deleted_at = NOW
    async with deps.uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user.id


def _as_admin(request: RewardRequest, key: str = "k-1") -> GrantReward:
    return GrantReward(request, key=key, admin=ADMIN, client=ClientInfo("203.0.113.9"))


async def test_coins_are_one_ledger_row_referenced_by_the_reward_with_both_events(
    store: InMemoryStore, deps: RewardDeps
) -> None:
    user_id = await _player(deps)

    granted = await grant_reward(_as_admin(RewardRequest(user_id, "COIN", " prize ", amount=300)), deps)

    async with InMemoryUnitOfWork(store) as uow:
        [entry] = (await uow.wallets.ledger(user_id, 10, None)).items
        [audit] = (await uow.audit.search(AuditQuery(target_id=user_id), 10, None)).items
    assert (entry.currency, entry.delta, entry.reason, entry.ref_id) == (
        Currency.COINS, 300, "reward", granted.reward.reward_id
    )  # fmt: skip
    assert granted.reward.source == "prize"
    assert granted.balances == {"coins": 300, "gems": 0}
    assert granted.entry == entry
    balance, reward = store.outbox
    assert isinstance(balance, BalanceChanged)
    assert isinstance(reward, RewardGranted)
    assert (reward.currency, reward.amount, reward.reward_type, reward.granted_by) == ("coins", 300, "COIN", "admin-1")
    assert (audit.action, audit.ip) == ("reward.grant", "203.0.113.9")


async def test_an_item_goes_to_the_inventory_and_its_event_names_the_item(
    store: InMemoryStore, deps: RewardDeps
) -> None:
    user_id = await _player(deps)
    request = RewardRequest(user_id, "ITEM", "event", amount=3, item_id="streak_shield")

    granted = await grant_reward(GrantReward(request), deps)  # server-internal: no admin

    async with InMemoryUnitOfWork(store) as uow:
        [item] = await uow.inventory.list(user_id)
        assert (await uow.wallets.ledger(user_id, 10, None)).items == []
    assert (item.item_id, item.name, item.rarity, item.quantity) == ("streak_shield", "Streak Shield", "Utility", 3)
    assert (granted.reward.reward_type, granted.reward.granted_by, granted.entry) == (RewardType.ITEM, None, None)
    [event] = store.outbox
    assert isinstance(event, RewardGranted)
    assert (event.currency, event.amount, event.item_id, event.item_name) == (
        "item",
        3,
        "streak_shield",
        "Streak Shield",
    )


async def test_a_repeated_key_returns_the_first_grant_and_another_reward_under_it_is_refused(
    store: InMemoryStore, deps: RewardDeps
) -> None:
    user_id = await _player(deps)
    command = GrantReward(RewardRequest(user_id, "GEM", "mission:m1", amount=10), key="mission:m1")

    first = await grant_reward(command, deps)
    again = await grant_reward(command, deps)
    with pytest.raises(IdempotencyKeyReused):
        await grant_reward(GrantReward(RewardRequest(user_id, "GEM", "mission:m1", amount=11), key="mission:m1"), deps)

    assert again.reward == first.reward
    assert first.entry is not None
    assert again.entry == first.entry  # the first grant's ledger row, e.g. for the admin grant's answer
    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.wallets.balances(user_id) == {Currency.GEMS: 10}
    assert len(store.outbox) == 2  # BalanceChanged + RewardGranted, once


async def test_a_key_is_scoped_to_its_granter(deps: RewardDeps) -> None:
    user_id = await _player(deps)
    request = RewardRequest(user_id, "COIN", "s", amount=1)

    by_admin = await grant_reward(_as_admin(request, key="same"), deps)
    by_server = await grant_reward(GrantReward(request, key="same"), deps)

    assert by_admin.reward.reward_id != by_server.reward.reward_id
    assert by_server.balances["coins"] == 2


@pytest.mark.parametrize("deleted", [False, True])
async def test_no_reward_for_an_unknown_or_deleted_account(
    store: InMemoryStore, deps: RewardDeps, deleted: bool
) -> None:
    user_id = await _player(deps, deleted=True) if deleted else str(uuid.uuid4())

    with pytest.raises(NotFound):
        await grant_reward(_as_admin(RewardRequest(user_id, "COIN", "s", amount=5)), deps)

    assert store.outbox == []


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"reward_type": "COIN"}, "amount"),
        ({"reward_type": "COIN", "amount": 5, "item_id": "streak_shield"}, "item_id"),
        ({"reward_type": "ITEM", "item_id": "nope"}, "item_id"),
        ({"reward_type": "ITEM", "item_id": "streak_shield", "amount": 0}, "amount"),
        ({"reward_type": "BADGE", "amount": 5}, "reward_type"),
        ({"reward_type": "GEM", "amount": 1_000_000_001}, "amount"),
        ({"reward_type": "GEM", "amount": 5, "source": "y" * 201}, "source"),
    ],
)
async def test_the_rules_name_the_offending_field(
    store: InMemoryStore, deps: RewardDeps, request_fields: dict[str, object], field: str
) -> None:
    user_id = await _player(deps)
    fields: dict[str, object] = {"source": "s"} | request_fields

    with pytest.raises(InvalidInput) as refused:
        await grant_reward(GrantReward(RewardRequest(user_id, **fields)), deps)  # type: ignore[arg-type]

    assert refused.value.details == {"fields": [{"key": field, "message": refused.value.message}]}
    assert store.outbox == []


async def test_a_player_lists_only_their_own_rewards(deps: RewardDeps) -> None:
    user_id, other = await _player(deps), await _player(deps)
    await grant_reward(GrantReward(RewardRequest(user_id, "COIN", "s", amount=5)), deps)
    player = Principal(user_id=user_id, session_id="s", rank=Rank.STANDARD, is_admin=False)

    own = await list_rewards(player, user_id, None, None, deps)
    with pytest.raises(Forbidden):
        await list_rewards(player, other, None, None, deps)

    assert [reward.amount for reward in own.items] == [5]
    assert (await list_rewards(ADMIN, user_id, None, None, deps)).items == own.items


def test_an_item_reward_reaches_the_socket_with_its_item_and_older_grants_keep_their_shape() -> None:
    item = RewardGranted(
        aggregate_id="u1", occurred_at=NOW, currency="item", amount=2, source="event", granted_by=None,
        reward_id="rw_1", reward_type="ITEM", item_id="streak_shield", item_name="Streak Shield",
    )  # fmt: skip
    plain = RewardGranted(aggregate_id="u1", occurred_at=NOW, currency="gems", amount=5, source="d", granted_by=None)

    def data(event: RewardGranted) -> dict[str, object]:
        message = OutboxMessage(1, event.event_id, event.event_type, "user", "u1", event.payload(), NOW)
        return publication_of(message).data

    assert data(item) == {
        "currency": "item", "amount": 2, "source": "event",
        "reward_id": "rw_1", "reward_type": "ITEM", "item_id": "streak_shield", "item_name": "Streak Shield",
    }  # fmt: skip
    assert data(plain) == {"currency": "gems", "amount": 5, "source": "d"}
