"""VIP upgrades on the in-memory unit of work, from running totals: a captured purchase raises the tier once, with
AccountUpdated; other purchase states, a repeated pass and a higher stored tier change nothing; activity raises
the tier exactly at the threshold, a redelivered pass counts nothing twice, and a refund never lowers a tier."""

from __future__ import annotations

import uuid
from datetime import UTC

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.memory.uow import InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.engagement.deps import EngagementDeps
from src.application.engagement.vip import VipDeps, upgrade_players, vip_status
from src.application.games.deps import GamesDeps
from src.application.shared.outbox import OutboxMessage
from src.domain.identity.events import AccountUpdated
from tests.support.fairness import TEST_VAULT
from tests.unit.application.shop_payments_support import NOW, Shop, bought, given_player, open_shop


def _deps(shop: Shop) -> VipDeps:
    games = GamesDeps(
        uow_factory=shop.deps.uow_factory,
        clock=shop.clock,
        ids=SecretsIdGenerator(),
        vault=TEST_VAULT,
        leaderboard=InMemoryLeaderboard(),
        slot_max_bet=1_000,
    )
    return VipDeps(shop.deps.uow_factory, shop.clock, shop.deps, games)


def _upgrades(shop: Shop) -> EngagementDeps:
    return EngagementDeps(shop.deps.uow_factory, shop.clock, UTC)


def _purchase_messages(shop: Shop) -> list[OutboxMessage]:
    return [
        OutboxMessage(i, event.event_id, event.event_type, "purchase", event.aggregate_id, event.payload(), NOW)
        for i, event in enumerate(shop.events("PurchaseUpdated"))
    ]


def _with_status(message: OutboxMessage, status: str) -> OutboxMessage:
    return OutboxMessage(
        message.position, message.event_id, message.event_type, message.aggregate_type, message.aggregate_id,
        {**message.payload, "status": status}, message.created_at,
    )  # fmt: skip


async def _tier(shop: Shop, user_id: str) -> int:
    async with InMemoryUnitOfWork(shop.store) as uow:
        user = await uow.users.get(user_id)
    assert user is not None
    return user.vip_tier


async def test_a_captured_purchase_of_the_bronze_spend_raises_the_tier_once_with_account_updated() -> None:
    shop = open_shop()
    user_id = await given_player(shop)
    await bought(shop, user_id)  # 499 cents: exactly Bronze
    messages, deps = _purchase_messages(shop), _deps(shop)

    await upgrade_players(messages, _upgrades(shop))
    await upgrade_players(messages, _upgrades(shop))  # the pass delivered again

    assert await _tier(shop, user_id) == 1
    [updated] = shop.events("AccountUpdated")
    assert isinstance(updated, AccountUpdated)
    assert (updated.aggregate_id, updated.vip_tier, updated.changed) == (user_id, 1, ["vip_tier"])
    status = await vip_status(user_id, deps)
    assert (status.tier, status.current.name, status.spent_cents) == (1, "Bronze", 499)


async def test_only_captured_purchases_trigger_a_recomputation() -> None:
    shop = open_shop()
    user_id = await given_player(shop)
    await bought(shop, user_id)
    not_captured = [_with_status(message, "pending") for message in _purchase_messages(shop)]

    await upgrade_players(not_captured, _upgrades(shop))

    assert await _tier(shop, user_id) == 0
    assert shop.events("AccountUpdated") == []


async def test_a_higher_stored_tier_is_kept_and_nothing_is_recorded() -> None:
    shop = open_shop()
    user_id = await given_player(shop)
    async with InMemoryUnitOfWork(shop.store) as uow:
        assert await uow.users.raise_vip_tier(user_id, 3)
        await uow.commit()
    await bought(shop, user_id)

    await upgrade_players(_purchase_messages(shop), _upgrades(shop))

    assert await _tier(shop, user_id) == 3
    assert shop.events("AccountUpdated") == []


def _spins(user_id: str, count: int) -> list[OutboxMessage]:
    return [
        OutboxMessage(i, uuid.uuid4().hex, "SpinSettled", "user", user_id, {"bet": 10, "payout": 0}, NOW)
        for i in range(count)
    ]


async def test_activity_raises_the_tier_exactly_at_the_threshold_and_a_redelivered_pass_counts_nothing() -> None:
    shop = open_shop()
    user_id = await given_player(shop)
    below = _spins(user_id, 199)  # Bronze needs 200 activity points

    await upgrade_players(below, _upgrades(shop))
    await upgrade_players(below, _upgrades(shop))  # the same pass again: still 199
    tier_below = await _tier(shop, user_id)
    raised = await upgrade_players(_spins(user_id, 1), _upgrades(shop))

    assert tier_below == 0
    assert raised == [user_id]
    assert await _tier(shop, user_id) == 1
    [updated] = shop.events("AccountUpdated")
    assert isinstance(updated, AccountUpdated)
    assert (updated.previous_vip_tier, updated.vip_tier, updated.source) == (0, 1, "earned")


async def test_a_refund_after_the_upgrade_never_lowers_the_tier_and_a_later_crossing_is_checked_once() -> None:
    shop = open_shop()
    user_id = await given_player(shop)
    await bought(shop, user_id)  # 499 cents: exactly Bronze
    [captured] = [message for message in _purchase_messages(shop) if message.payload["status"] == "captured"]
    refund = OutboxMessage(
        9, uuid.uuid4().hex, "PurchaseUpdated", "purchase", captured.aggregate_id,
        {**captured.payload, "status": "refunded", "refunded_cents": 499, "was_captured": True}, NOW,
    )  # fmt: skip

    await upgrade_players([captured], _upgrades(shop))
    await upgrade_players([refund], _upgrades(shop))  # spend back to 0: the tier stays
    again = await upgrade_players(_spins(user_id, 5), _upgrades(shop))  # Bronze already earned: no tier read

    assert await _tier(shop, user_id) == 1
    assert again == []
    assert len(shop.events("AccountUpdated")) == 1
