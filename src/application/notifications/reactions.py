"""Notifications that follow other contexts' events: a reward granted, a purchase captured. Each event gives
its notification a stable id, so a redelivered event is not notified twice. Being kept in the inbox, each also
reaches the player's sockets as a `notification` (beside the event's own `reward_granted` or `purchase_update`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from src.application.notifications.delivery import Outgoing, notify_users
from src.application.notifications.deps import NotificationDeps
from src.application.shared.outbox import OutboxMessage
from src.domain.notifications.model import Channel

CHANNELS = frozenset({Channel.INBOX, Channel.PUSH, Channel.EMAIL})
_IDS = uuid.UUID("6c3f0f5e-4d0e-4d7e-9a55-2f2b8f0c9a11")  # namespace of ids derived from event ids


def notification_key(message: OutboxMessage) -> str:
    return str(uuid.uuid5(_IDS, message.event_id))


def reward_notice(message: OutboxMessage) -> Outgoing | None:
    """RewardGranted's notice (not for the gems of a purchase: the purchase notification covers those)."""
    payload = message.payload
    if payload.get("source") == "purchase" or "amount" not in payload:
        return None
    amount, currency, source = payload["amount"], str(payload.get("currency", "")).lower(), str(payload.get("source"))
    context = {"amount": amount, "currency": currency, "source": source}
    what = payload.get("item_name") or currency  # an item reward names the item
    return Outgoing("reward", f"You received {amount} {what}", f"From: {source}", CHANNELS, context,
                    email_template="reward", email_context=context, key=notification_key(message))  # fmt: skip


async def notify_rewards(messages: Sequence[OutboxMessage], deps: NotificationDeps) -> int:
    """A relay pass's RewardGranted in one transaction; how many players were reached."""
    notices = [(message.aggregate_id, notice) for message in messages if (notice := reward_notice(message))]
    return (await notify_users(deps, notices)).reached if notices else 0


async def notify_reward(message: OutboxMessage, deps: NotificationDeps) -> bool:
    return await notify_rewards([message], deps) > 0


async def notify_purchase(message: OutboxMessage, deps: NotificationDeps) -> bool:
    """`notify_purchases` of one event: whether the player was reached."""
    return await notify_purchases([message], deps) > 0


async def notify_purchases(messages: Sequence[OutboxMessage], deps: NotificationDeps) -> int:
    """A relay pass's PurchaseUpdated to captured, each its receipt (inbox, push, email), in one transaction; how
    many players were reached."""
    notices = [notice for message in messages if (notice := purchase_notice(message))]
    return (await notify_users(deps, notices)).reached if notices else 0


def purchase_notice(message: OutboxMessage) -> tuple[str, Outgoing] | None:
    """PurchaseUpdated's receipt and its player, once the purchase is captured."""
    payload = message.payload
    if payload.get("status") != "captured" or "user_id" not in payload:
        return None
    cents, gems = int(payload["amount_cents"]), int(payload["gems_granted"])
    context = {"transaction_id": message.aggregate_id, "sku": payload["sku"], "amount": f"{cents / 100:.2f}",
               "currency": payload["currency"], "gems": gems}  # fmt: skip
    outgoing = Outgoing("purchase", "Purchase complete", f"{gems} gems were added to your balance", CHANNELS,
                        {"transaction_id": message.aggregate_id}, email_template="purchase_receipt",
                        email_context=context, key=notification_key(message))  # fmt: skip
    return str(payload["user_id"]), outgoing
