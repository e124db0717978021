"""Which domain events become which realtime messages, for whom; delivered twice, they are still one message."""

from __future__ import annotations

from typing import Any

from src.application.realtime.events import publish_events
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.events import StreakUpdated
from src.domain.identity.events import AccountUpdated
from src.domain.notifications.events import AnnouncementPublished, NotificationCreated
from src.domain.shared.events import DomainEvent
from src.domain.wallet.events import BalanceChanged, RewardGranted
from tests.unit.application.realtime_support import NOW, realtime


def _outbox(event: DomainEvent) -> OutboxMessage:
    return OutboxMessage(
        position=1,
        event_id=event.event_id,
        event_type=event.event_type,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=event.payload(),
        created_at=event.occurred_at,
    )


async def _published(event: DomainEvent, user_id: str = "u1") -> list[dict[str, Any]]:
    async with realtime() as rt:
        await publish_events([_outbox(event)], rt.hub.publisher)
        replay = await rt.hub.history.since(user_id, 0)
    return [{"type": message.type, "scope": message.scope, "data": message.data} for message in replay.messages]


async def test_a_reward_is_reward_granted_for_that_player() -> None:
    event = RewardGranted(aggregate_id="u1", occurred_at=NOW, currency="gems", amount=5, source="daily", granted_by="a")
    assert await _published(event) == [
        {"type": "reward_granted", "scope": "user", "data": {"currency": "gems", "amount": 5, "source": "daily"}}
    ]


async def test_a_balance_change_is_a_profile_update_with_the_new_balance() -> None:
    event = BalanceChanged(
        aggregate_id="u1", occurred_at=NOW, currency="coins", delta=-10, balance_after=90, reason="bet"
    )
    [message] = await _published(event)
    assert message["type"] == "profile_update"
    assert message["data"] == {"balances": {"coins": 90}, "delta": {"coins": -10}, "reason": "bet"}


async def test_an_account_change_by_an_admin_is_a_profile_update_with_the_new_rank() -> None:
    event = AccountUpdated(
        aggregate_id="u1", occurred_at=NOW, rank="VIP", vip_tier=2, status="active", changed=["rank", "vip_tier"]
    )
    assert await _published(event) == [
        {"type": "profile_update", "scope": "user", "data": {"rank": "VIP", "vip_tier": 2, "status": "active"}}
    ]


async def test_a_streak_change_is_a_streak_update_for_that_player() -> None:
    event = StreakUpdated(
        aggregate_id="u1",
        occurred_at=NOW,
        count=3,
        best=5,
        last_tick_date="2031-05-06",
        protected_until=None,
        reason="tick",
    )
    assert await _published(event) == [
        {
            "type": "streak_update",
            "scope": "user",
            "data": {"count": 3, "best": 5, "last_tick_date": "2031-05-06", "protected_until": None},
        }
    ]
    assert await _published(event, user_id="u2") == []


async def test_a_purchase_update_goes_to_the_buyer_not_to_the_transaction() -> None:
    payload = {
        "user_id": "buyer",
        "status": "captured",
        "sku": "gems_100",
        "kind": "catalog",
        "quantity": 1,
        "amount_cents": 499,
        "currency": "USD",
        "gems_granted": 100,
        "failure_reason": None,
    }
    event = OutboxMessage(1, "ev-p", "PurchaseUpdated", "purchase", "tx_1", payload, NOW)
    async with realtime() as rt:
        await publish_events([event], rt.hub.publisher)
        [message] = (await rt.hub.history.since("buyer", 0)).messages
    assert message.type == "purchase_update"
    assert message.data == {
        "transaction_id": "tx_1",
        **{key: value for key, value in payload.items() if key != "user_id"},
    }


async def test_a_notification_reaches_its_user_and_an_announcement_everyone() -> None:
    notification = NotificationCreated(
        aggregate_id="u1", occurred_at=NOW, notification_id="n1", type="reward", title="T", body="B", data={"k": 1}
    )
    announcement = AnnouncementPublished(
        aggregate_id="c1", occurred_at=NOW, announcement_id="c1", title="Sale", body="Now", data={}
    )
    async with realtime() as rt:
        await publish_events([_outbox(notification), _outbox(announcement)], rt.hub.publisher)
        mine = (await rt.hub.history.since("u1", 0)).messages
        theirs = (await rt.hub.history.since("u2", 0)).messages
    assert [(message.type, message.scope) for message in mine] == [("notification", "user"), ("announcement", "all")]
    assert mine[0].data == {"id": "n1", "type": "reward", "title": "T", "body": "B", "data": {"k": 1}}
    assert [message.type for message in theirs] == ["announcement"]


async def test_a_pass_delivered_again_with_new_events_keeps_the_old_ids_and_links_the_new_ones() -> None:
    def reward(amount: int) -> OutboxMessage:
        return _outbox(
            RewardGranted(
                aggregate_id="u1", occurred_at=NOW, currency="coins", amount=amount, source="s", granted_by=None
            )
        )

    first, second, third = reward(1), reward(2), reward(3)
    async with realtime() as rt:
        await publish_events([first, second], rt.hub.publisher)
        await publish_events([first, second, third], rt.hub.publisher)  # the relay delivering it again, and one more
        replay = await rt.hub.history.since("u1", 0)

    messages = replay.messages
    assert [message.data["amount"] for message in messages] == [1, 2, 3]
    assert [message.prev for message in messages[1:]] == [messages[0].id, messages[1].id]
