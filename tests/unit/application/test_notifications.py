"""Notification use cases on the in-memory unit of work: fan-out and its events, concurrent campaign
dispatchers, the push and email jobs' retry rules."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.notifications import campaigns, email, push, reactions
from src.application.notifications.broadcast import SendNotification, send_notification
from src.application.notifications.delivery import Outgoing, notify_user
from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB, NotificationConfig, NotificationDeps
from src.application.notifications.ports import (
    EmailMessage,
    InboxFilter,
    MailerUnavailable,
    PushMessage,
    PushOutcome,
    PushResult,
    PushSubscription,
)
from src.application.shared.commands import ClientInfo
from src.application.shared.jobs import RetryLater
from src.application.shared.outbox import OutboxMessage
from src.domain.identity.model import User
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.campaigns import CampaignStatus
from src.domain.notifications.events import AnnouncementPublished, NotificationCreated
from src.domain.notifications.model import Channel
from src.domain.shared.errors import InvalidInput
from tests.support.clocks import FakeClock
from tests.unit.application.shop_payments_support import ADMIN, NOW, RecordingJobs


@dataclass
class ScriptedPush:
    """Answers each send with the next outcome (then DELIVERED)."""

    answers: list[PushResult] = field(default_factory=list)
    sent: list[tuple[str, PushMessage]] = field(default_factory=list)
    public_key: str = "BPublic"

    async def send(self, subscription: PushSubscription, message: PushMessage) -> PushResult:
        self.sent.append((subscription.endpoint, message))
        return self.answers.pop(0) if self.answers else PushResult(PushOutcome.DELIVERED, 201)


@dataclass
class FlakyMailer:
    failures: int = 0
    delivered: list[EmailMessage] = field(default_factory=list)

    async def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise MailerUnavailable("421 try later")
        self.delivered.append(message)


@dataclass
class World:
    store: InMemoryStore
    deps: NotificationDeps
    jobs: RecordingJobs
    push: ScriptedPush
    mailer: FlakyMailer


@pytest.fixture
def world() -> World:
    store, jobs, pusher, mailer = InMemoryStore(), RecordingJobs(), ScriptedPush(), FlakyMailer()
    config = NotificationConfig(max_attempts=3, dispatch_batch_size=4)
    deps = NotificationDeps(lambda: InMemoryUnitOfWork(store), FakeClock(NOW), SecretsIdGenerator(), InMemoryCache(),
                            jobs, pusher, mailer, config)  # fmt: skip
    return World(store, deps, jobs, pusher, mailer)


async def _players(world: World, count: int, **fields: Any) -> list[str]:
    ids = []
    async with world.deps.uow_factory() as uow:
        for _ in range(count):
            key = uuid.uuid4().hex
            user = User(id=key, site_id=f"s{key[:10]}", nickname=f"N{key[:8]}", password_hash="x", created_at=NOW,
                        email=f"{key[:6]}@example.test", **fields)  # fmt: skip
            await uow.users.add(user)
            ids.append(user.id)
        await uow.commit()
    return ids


async def _subscribe(world: World, user_id: str) -> str:
    endpoint = f"https://push.example/{uuid.uuid4().hex}"
    async with world.deps.uow_factory() as uow:
        await uow.push_subscriptions.upsert(PushSubscription(endpoint, user_id, "k", "a", NOW))
        await uow.commit()
    return endpoint


async def test_a_notification_is_stored_announced_and_queued_for_push(world: World) -> None:
    [player] = await _players(world, 1)
    endpoint = await _subscribe(world, player)
    message = Outgoing("reward", "Coins!", "100 coins", frozenset(Channel), {"coins": 100})

    staged = await notify_user(world.deps, player, message)

    [event] = world.store.outbox
    assert isinstance(event, NotificationCreated)
    assert (event.aggregate_id, event.type, event.title, event.data) == (player, "reward", "Coins!", {"coins": 100})
    async with world.deps.uow_factory() as uow:
        assert await uow.notifications.unread_count(player) == 1
    assert [(job, payload["endpoint"]) for job, payload in world.jobs.enqueued if job == PUSH_JOB] == [
        (PUSH_JOB, endpoint)
    ]
    assert (staged.inbox, staged.push, staged.email) == (1, 1, 1)


async def test_everyone_over_realtime_is_one_announcement(world: World) -> None:
    await _players(world, 5)
    message = Outgoing("system", "Maintenance", "at 3am", frozenset({Channel.REALTIME, Channel.INBOX}))

    result = await send_notification(SendNotification(ADMIN, ClientInfo(), Target(TargetKind.EVERYONE), message),
                                     world.deps)  # fmt: skip

    assert [type(event) for event in world.store.outbox] == [AnnouncementPublished]
    assert (result.targeted, result.inbox, result.announced) == (5, 5, True)


async def test_concurrent_dispatchers_deliver_each_player_once(world: World) -> None:
    players = await _players(world, 10, vip_tier=7)
    target = Target(TargetKind.VIP_TIER, "7")
    command = campaigns.ScheduleCampaign(ADMIN, ClientInfo(), "Hi", "there", frozenset({Channel.INBOX}), target, NOW)
    campaign = await campaigns.schedule_campaign(command, world.deps)

    reached = await asyncio.gather(*(campaigns.dispatch_due(world.deps) for _ in range(3)))
    again = await campaigns.dispatch_due(world.deps)

    async with world.deps.uow_factory() as uow:
        counts = [await uow.notifications.unread_count(player) for player in players]
        stored = await uow.campaigns.get(campaign.id)
    assert (sum(reached), again, counts) == (10, 0, [1] * 10)
    assert stored is not None
    assert (stored.status, stored.targeted, stored.sent) == (CampaignStatus.DONE, 10, 10)


async def test_a_campaign_waits_for_its_time(world: World) -> None:
    await _players(world, 1, vip_tier=8)
    later = NOW + timedelta(minutes=5)
    command = campaigns.ScheduleCampaign(ADMIN, ClientInfo(), "Hi", "", frozenset({Channel.INBOX}),
                                         Target(TargetKind.VIP_TIER, "8"), later)  # fmt: skip
    await campaigns.schedule_campaign(command, world.deps)

    assert await campaigns.dispatch_due(world.deps) == 0


def _push_job(endpoint: str, user_id: str) -> dict[str, Any]:
    return {"endpoint": endpoint, "user_id": user_id, "notification_id": "n1", "type": "system", "title": "t",
            "body": "b", "data": {}}  # fmt: skip


async def test_a_gone_endpoint_is_deleted(world: World) -> None:
    [player] = await _players(world, 1)
    endpoint = await _subscribe(world, player)
    world.push.answers.append(PushResult(PushOutcome.GONE, 410))

    outcome = await push.send_push(_push_job(endpoint, player), world.deps)

    async with world.deps.uow_factory() as uow:
        assert await uow.push_subscriptions.get(endpoint) is None
    assert outcome is PushOutcome.GONE


async def test_a_busy_push_service_backs_off_then_gives_up(world: World) -> None:
    [player] = await _players(world, 1)
    endpoint = await _subscribe(world, player)
    world.push.answers.extend([PushResult(PushOutcome.RETRY, 503)] * 2 + [PushResult(PushOutcome.RETRY, 429, 30.0)])
    delays = []

    for _ in range(2):
        with pytest.raises(RetryLater) as later:
            await push.send_push(_push_job(endpoint, player), world.deps)
        delays.append(later.value.delay_seconds)
    last = await push.send_push(_push_job(endpoint, player), world.deps)  # third attempt of max_attempts=3

    assert delays == [2.0, 4.0]
    assert last is PushOutcome.RETRY
    async with world.deps.uow_factory() as uow:
        assert await uow.push_subscriptions.get(endpoint) is not None


async def test_a_push_for_an_endpoint_that_changed_hands_is_dropped(world: World) -> None:
    first, second = await _players(world, 2)
    endpoint = await _subscribe(world, first)
    async with world.deps.uow_factory() as uow:
        await uow.push_subscriptions.upsert(PushSubscription(endpoint, second, "k", "a", NOW))
        await uow.commit()

    assert await push.send_push(_push_job(endpoint, first), world.deps) is None
    assert world.push.sent == []


async def test_an_unavailable_mail_server_is_retried(world: World) -> None:
    world.mailer.failures = 1
    job = {"delivery_id": "d1", "user_id": "u", "to": "a@example.test", "template": "welcome",
           "context": {"nickname": "Ann"}}  # fmt: skip

    with pytest.raises(RetryLater):
        await email.send_email(job, world.deps)
    assert await email.send_email(job, world.deps) is True

    [mail] = world.mailer.delivered
    assert (mail.to, mail.subject) == ("a@example.test", "Welcome to Casino-Club, Ann")
    assert "Hi Ann" in mail.text
    assert "<p>Hi Ann,</p>" in mail.html


def _event(event_type: str, aggregate_id: str, **payload: Any) -> OutboxMessage:
    return OutboxMessage(1, uuid.uuid4().hex, event_type, "user", aggregate_id, payload, NOW)


async def test_a_reward_is_notified_once_however_often_its_event_arrives(world: World) -> None:
    [player] = await _players(world, 1)
    granted = _event("RewardGranted", player, currency="COINS", amount=250, source="daily_bonus", granted_by=None)

    first = await reactions.notify_reward(granted, world.deps)
    again = await reactions.notify_reward(granted, world.deps)

    async with world.deps.uow_factory() as uow:
        inbox = await uow.notifications.list_for_user(player, InboxFilter(), 10, None)
    assert (first, again) == (True, False)
    assert [(n.type, n.title) for n in inbox.items] == [("reward", "You received 250 coins")]
    [pushed] = world.store.outbox  # what the inbox keeps reaches the sockets too, once
    assert isinstance(pushed, NotificationCreated)
    assert (pushed.aggregate_id, pushed.notification_id, pushed.type) == (player, inbox.items[0].id, "reward")
    assert [payload["template"] for job, payload in world.jobs.enqueued if job == EMAIL_JOB] == ["reward"]


async def test_a_pass_of_rewards_is_one_transaction_and_notifies_each_once_with_its_push(world: World) -> None:
    players = await _players(world, 3)
    endpoint = await _subscribe(world, players[1])
    granted = [_event("RewardGranted", player, currency="COINS", amount=10 * n, source="mission:m", granted_by=None)
               for n, player in enumerate(players, start=1)]  # fmt: skip
    purchase = _event("RewardGranted", players[0], currency="GEMS", amount=5, source="purchase", granted_by=None)
    stranger = _event("RewardGranted", "nobody", currency="COINS", amount=1, source="daily_bonus", granted_by=None)
    opened = 0
    factory = world.deps.uow_factory

    def counting() -> Any:
        nonlocal opened
        opened += 1
        return factory()

    deps = replace(world.deps, uow_factory=counting)

    reached = await reactions.notify_rewards([granted[0], purchase, stranger, *granted[1:], granted[0]], deps)
    again = await reactions.notify_rewards(granted, deps)

    async with factory() as uow:
        inboxes = [await uow.notifications.list_for_user(player, InboxFilter(), 10, None) for player in players]
    assert (reached, again, opened) == (3, 0, 2)
    assert [[n.title for n in inbox.items] for inbox in inboxes] == [
        ["You received 10 coins"],
        ["You received 20 coins"],
        ["You received 30 coins"],
    ]
    assert [payload["endpoint"] for job, payload in world.jobs.enqueued if job == PUSH_JOB] == [endpoint]
    assert len([event for event in world.store.outbox if isinstance(event, NotificationCreated)]) == 3


async def test_a_captured_purchase_sends_a_receipt_and_its_gems_no_reward_notice(world: World) -> None:
    [player] = await _players(world, 1)
    captured = _event("PurchaseUpdated", "tx-1", user_id=player, status="captured", sku="gems_500", kind="catalog",
                      quantity=1, amount_cents=499, currency="USD", gems_granted=500, failure_reason=None)  # fmt: skip
    pending = _event("PurchaseUpdated", "tx-2", **{**captured.payload, "status": "pending"})
    gems = _event("RewardGranted", player, currency="GEMS", amount=500, source="purchase", granted_by=None)

    results = [
        await reactions.notify_purchase(captured, world.deps),
        await reactions.notify_purchase(pending, world.deps),
        await reactions.notify_reward(gems, world.deps),
    ]

    emails = [payload for job, payload in world.jobs.enqueued if job == EMAIL_JOB]
    assert results == [True, False, False]
    [pushed] = world.store.outbox
    assert isinstance(pushed, NotificationCreated)
    assert (pushed.aggregate_id, pushed.type, pushed.data) == (player, "purchase", {"transaction_id": "tx-1"})
    assert [(e["template"], e["context"]["amount"], e["context"]["gems"]) for e in emails] == [
        ("purchase_receipt", "4.99", 500)
    ]


@pytest.mark.parametrize(
    "endpoint",
    ["http://push.example/x", "https://127.0.0.1/x", "https://10.0.0.8/x", "https://[::1]/x", "https://localhost/x",
     "https://metadata.internal/x", "https://169.254.169.254/latest"],
)  # fmt: skip
async def test_production_subscriptions_point_at_public_https_push_services(world: World, endpoint: str) -> None:
    strict = replace(world.deps, config=NotificationConfig(allow_insecure_push_endpoints=False))
    [player] = await _players(world, 1)
    keys = ("B" + "A" * 86, "A" * 22)  # a 65-byte point starting 0x04 and a 16-byte secret, base64url

    with pytest.raises(InvalidInput):
        await push.subscribe(player, endpoint, *keys, strict)
    assert (await push.subscribe(player, "https://fcm.googleapis.com/fcm/send/abc", *keys, strict)).user_id == player


async def test_a_pass_of_purchases_is_one_transaction_and_sends_each_captured_receipt_once(world: World) -> None:
    players = await _players(world, 2)
    captured = [_event("PurchaseUpdated", f"tx-{n}", user_id=player, status="captured", sku="gems_500",
                       kind="catalog", quantity=1, amount_cents=499, currency="USD", gems_granted=500,
                       failure_reason=None) for n, player in enumerate(players)]  # fmt: skip
    pending = _event("PurchaseUpdated", "tx-9", **{**captured[0].payload, "status": "pending"})
    opened = 0
    factory = world.deps.uow_factory

    def counting() -> Any:
        nonlocal opened
        opened += 1
        return factory()

    deps = replace(world.deps, uow_factory=counting)

    reached = await reactions.notify_purchases([captured[0], pending, captured[1], captured[0]], deps)
    again = await reactions.notify_purchases(captured, deps)

    emails = [payload for job, payload in world.jobs.enqueued if job == EMAIL_JOB]
    assert (reached, again, opened) == (2, 0, 2)
    assert sorted(
        event.aggregate_id for event in world.store.outbox if isinstance(event, NotificationCreated)
    ) == sorted(players)
    assert sorted(email["context"]["transaction_id"] for email in emails) == ["tx-0", "tx-1"]
