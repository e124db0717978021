"""Outbox subscribers that turn other contexts' domain events into realtime messages.

They run inside the outbox relay (in an app process or the maintenance worker), never in a request handler,
so an event reaches every socket whichever process produced it. A relay pass's events are published together,
in order; delivery is at least once: the publisher gives a repeated event its first id, and listeners drop
the copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from src.application.realtime.messages import (
    BROADCAST_CHANNEL,
    EVERYONE_SCOPE,
    USER_SCOPE,
    Publication,
    RealtimePublisher,
    user_channel,
)
from src.application.shared.outbox import OutboxMessage

Translation = tuple[str, str | None, dict[str, Any]]  # message type, user id (None: everyone), data


_REWARD_EXTRAS = ("reward_id", "reward_type", "item_id", "item_name")  # set by the rewards use case only


def _reward(event: OutboxMessage) -> Translation:
    data = {key: event.payload.get(key) for key in ("currency", "amount", "source")}
    data |= {key: event.payload[key] for key in _REWARD_EXTRAS if event.payload.get(key) is not None}
    return "reward_granted", event.aggregate_id, data


def _balance(event: OutboxMessage) -> Translation:
    currency = str(event.payload["currency"])
    data = {
        "balances": {currency: event.payload["balance_after"]},
        "delta": {currency: event.payload["delta"]},
        "reason": event.payload.get("reason"),
    }
    return "profile_update", event.aggregate_id, data


def _account(event: OutboxMessage) -> Translation:
    """An admin changed the rank, VIP tier or status: the player's client shows the new rank at once."""
    data = {key: event.payload.get(key) for key in ("rank", "vip_tier", "status")}
    return "profile_update", event.aggregate_id, data


_PURCHASE_FIELDS = ("status", "sku", "kind", "quantity", "amount_cents", "currency", "gems_granted", "failure_reason")


def _purchase(event: OutboxMessage) -> Translation:
    data = {"transaction_id": event.aggregate_id, **{key: event.payload.get(key) for key in _PURCHASE_FIELDS}}
    return "purchase_update", str(event.payload["user_id"]), data


def _notification(event: OutboxMessage) -> Translation:
    payload = event.payload
    data = {
        "id": payload["notification_id"],
        "type": payload.get("type"),
        "title": payload.get("title"),
        "body": payload.get("body"),
        "data": payload.get("data") or {},
    }
    return "notification", event.aggregate_id, data


def _announcement(event: OutboxMessage) -> Translation:
    payload = event.payload
    data = {
        "id": payload.get("announcement_id", event.aggregate_id),
        "title": payload.get("title"),
        "body": payload.get("body"),
        "data": payload.get("data") or {},
    }
    return "announcement", None, data


def _streak(event: OutboxMessage) -> Translation:
    data = {key: event.payload.get(key) for key in ("count", "best", "last_tick_date", "protected_until")}
    return "streak_update", event.aggregate_id, data


def _level_up(event: OutboxMessage) -> Translation:
    return "level_up", event.aggregate_id, {key: event.payload.get(key) for key in ("season_id", "level")}


def _achievement(event: OutboxMessage) -> Translation:
    data = {key: event.payload.get(key) for key in ("achievement_id", "title", "reward")}
    return "achievement_unlocked", event.aggregate_id, data


def _mission(event: OutboxMessage) -> Translation:
    return "mission_completed", event.aggregate_id, {key: event.payload.get(key) for key in ("mission_id", "title")}


def _reality_check(event: OutboxMessage) -> Translation:
    data = {key: event.payload.get(key) for key in ("session_minutes", "net_coins", "spent_cents")}
    return "reality_check", event.aggregate_id, data


TRANSLATIONS: dict[str, Callable[[OutboxMessage], Translation]] = {
    "RewardGranted": _reward,
    "BalanceChanged": _balance,
    "AccountUpdated": _account,
    "PurchaseUpdated": _purchase,
    "NotificationCreated": _notification,
    "AnnouncementPublished": _announcement,
    "StreakUpdated": _streak,
    "BattlePassLevelReached": _level_up,
    "AchievementUnlocked": _achievement,
    "MissionCompleted": _mission,
    "RealityCheckDue": _reality_check,
}


def publication_of(event: OutboxMessage) -> Publication:
    type, user_id, data = TRANSLATIONS[event.event_type](event)
    channel, scope = (BROADCAST_CHANNEL, EVERYONE_SCOPE) if user_id is None else (user_channel(user_id), USER_SCOPE)
    return Publication(event.event_id, channel, scope, type, data, event.created_at)


async def publish_events(events: Sequence[OutboxMessage], publisher: RealtimePublisher) -> None:
    await publisher.publish_all([publication_of(event) for event in events])
