"""Fan a message out to recipients: the inbox row and realtime event in the caller's transaction, push and
email queued after it commits, each only where the player's settings allow it at this moment.

A player on a time-out or self-excluded (responsible gaming) gets no marketing message on any channel and no push
or email at all while it lasts; account messages still reach their inbox and sockets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB, NotificationDeps
from src.application.notifications.ports import NotificationsUnitOfWork, PushSubscription, Recipient
from src.domain.notifications.events import NotificationCreated
from src.domain.notifications.model import (
    MARKETING_TYPES,
    Channel,
    Notification,
    NotificationSettings,
    check_message,
)


@dataclass(frozen=True)
class Outgoing:
    type: str
    title: str
    body: str
    channels: frozenset[Channel]
    data: dict[str, Any] = field(default_factory=dict)
    email_template: str = "campaign"
    email_context: dict[str, Any] = field(default_factory=dict)
    realtime_per_user: bool = True  # False when one announcement reaches everyone instead
    key: str | None = None  # a stable notification id (from the event behind it) for a message to one player

    def __post_init__(self) -> None:
        check_message(self.title, self.body)


@dataclass(frozen=True)
class QueuedJob:
    job: str
    payload: dict[str, Any]
    job_id: str


@dataclass
class Staged:
    """What one fan-out produced; `jobs` go to the queue once the transaction has committed."""

    inbox: int = 0
    reached: int = 0  # recipients reached on at least one chosen channel
    unreachable: int = 0
    jobs: list[QueuedJob] = field(default_factory=list)

    @property
    def push(self) -> int:
        return sum(1 for job in self.jobs if job.job == PUSH_JOB)

    @property
    def email(self) -> int:
        return sum(1 for job in self.jobs if job.job == EMAIL_JOB)


def push_job(notification_id: str, endpoint: str, user_id: str, message: Outgoing) -> QueuedJob:
    payload = {
        "endpoint": endpoint,
        "user_id": user_id,
        "notification_id": notification_id,
        "type": message.type,
        "title": message.title,
        "body": message.body,
        "data": message.data,
    }
    return QueuedJob(PUSH_JOB, payload, f"push:{notification_id}:{endpoint}")


def email_job(delivery_id: str, recipient: Recipient, template: str, context: dict[str, Any]) -> QueuedJob:
    payload = {
        "delivery_id": delivery_id,
        "user_id": recipient.user_id,
        "to": recipient.email,
        "template": template,
        "context": {"nickname": recipient.nickname, **context},
    }
    return QueuedJob(EMAIL_JOB, payload, f"email:{delivery_id}")


@dataclass
class _Fanout:
    """One fan-out in one unit of work: what every recipient's share needs."""

    uow: NotificationsUnitOfWork
    deps: NotificationDeps
    now: datetime
    subscriptions: dict[str, list[PushSubscription]]
    staged: Staged = field(default_factory=Staged)

    def inbox_row(self, notification_id: str, recipient: Recipient, message: Outgoing) -> Notification | None:
        if Channel.INBOX not in message.channels:
            return None
        return Notification(notification_id, recipient.user_id, message.type, message.title, message.body,
                            self.now, dict(message.data))  # fmt: skip

    def realtime(self, notification_id: str, recipient: Recipient, message: Outgoing) -> bool:
        """Every notification kept in an inbox is also pushed to the player's sockets (as is one sent over realtime
        alone), unless one announcement to everyone carries it instead."""
        if not message.realtime_per_user or not {Channel.REALTIME, Channel.INBOX} & message.channels:
            return False
        self.uow.record(NotificationCreated(aggregate_id=recipient.user_id, occurred_at=self.now,
                                            notification_id=notification_id, type=message.type, title=message.title,
                                            body=message.body, data=dict(message.data)))  # fmt: skip
        return True

    def sends(
        self, notification_id: str, recipient: Recipient, message: Outgoing, settings: NotificationSettings
    ) -> bool:
        """Push to each subscription and the email, where the player's settings allow them now."""
        jobs = self.staged.jobs
        before = len(jobs)
        if Channel.PUSH in message.channels and settings.allows(Channel.PUSH, message.type, self.now):
            for subscription in self.subscriptions.get(recipient.user_id, []):
                jobs.append(push_job(notification_id, subscription.endpoint, recipient.user_id, message))
        if (
            Channel.EMAIL in message.channels
            and recipient.email
            and settings.allows(Channel.EMAIL, message.type, self.now)
        ):
            context = {"title": message.title, "body": message.body, **message.email_context}
            jobs.append(email_job(notification_id, recipient, message.email_template, context))
        return len(jobs) > before

    def row(self, recipient: Recipient, message: Outgoing, restricted: bool) -> tuple[str, Notification | None] | None:
        """The message's id and inbox row; None when the player may not get it at all."""
        if restricted and message.type in MARKETING_TYPES:
            self.staged.unreachable += 1
            return None
        notification_id = message.key or self.deps.ids.new_id()
        return notification_id, self.inbox_row(notification_id, recipient, message)

    def deliver(
        self, notification_id: str, recipient: Recipient, message: Outgoing, settings: NotificationSettings,
        restricted: bool, kept: bool,
    ) -> None:  # fmt: skip
        """The realtime event and sends of a message whose inbox row (if `kept`) is stored."""
        self.staged.inbox += kept
        realtime = self.realtime(notification_id, recipient, message)
        sent = not restricted and self.sends(notification_id, recipient, message, settings)
        reached = sent or realtime or kept
        self.staged.reached += reached
        self.staged.unreachable += not reached


async def stage(
    uow: NotificationsUnitOfWork,
    deps: NotificationDeps,
    recipients: Sequence[Recipient],
    message: Outgoing,
    now: datetime,
) -> Staged:
    """Write inbox rows and realtime events in `uow` (the caller commits); the jobs are returned, not queued."""
    return await stage_each(uow, deps, [(recipient, message) for recipient in recipients], now)


async def stage_each(
    uow: NotificationsUnitOfWork, deps: NotificationDeps, wanted: Sequence[tuple[Recipient, Outgoing]], now: datetime
) -> Staged:
    """`stage` with a message of its own for each recipient; the reads are one statement each for all of them."""
    user_ids = list(dict.fromkeys(recipient.user_id for recipient, _ in wanted))
    stored = await uow.notification_settings.get_many(user_ids)
    restricted = await uow.limits.restricted_among(user_ids, now)
    pushing = any(Channel.PUSH in message.channels for _, message in wanted)
    fanout = _Fanout(uow, deps, now, await uow.push_subscriptions.for_users(user_ids) if pushing else {})
    shares = []
    for recipient, message in wanted:
        if (row := fanout.row(recipient, message, recipient.user_id in restricted)) is not None:
            shares.append((recipient, message, *row))
    notifications = [notification for *_, notification in shares if notification is not None]
    # a keyed message whose row a concurrent delivery of the same event stored (two relay passes overlapping) is
    # that delivery's to send: skipped here rather than failing the pass on the primary key
    kept = await uow.notifications.add_new(notifications) if notifications else set()
    for recipient, message, notification_id, notification in shares:
        if notification is not None and notification_id not in kept:
            continue
        settings = stored.get(recipient.user_id) or NotificationSettings(recipient.user_id)
        fanout.deliver(notification_id, recipient, message, settings, recipient.user_id in restricted,
                       notification is not None)  # fmt: skip
    return fanout.staged


async def enqueue(deps: NotificationDeps, jobs: Sequence[QueuedJob]) -> None:
    """After commit: a send queued twice (a retried fan-out) is deduplicated by its job id."""
    for job in jobs:
        await deps.jobs.enqueue(job.job, job.payload, job_id=job.job_id)


async def notify_user(deps: NotificationDeps, user_id: str, message: Outgoing) -> Staged:
    """One player, e.g. from an event of another context: `notify_users` of one."""
    return await notify_users(deps, [(user_id, message)])


async def notify_users(deps: NotificationDeps, messages: Sequence[tuple[str, Outgoing]]) -> Staged:
    """Players each with their message (a relay pass's events), in one transaction of a few statements whatever
    their number; unknown or deleted users get nothing, and a message with a `key` already in the inbox (or
    earlier in `messages`, or stored meanwhile by a concurrent delivery of the same event) is not sent again (events
    are delivered at least once)."""
    async with deps.uow_factory() as uow:
        users = await uow.users.get_many(list(dict.fromkeys(user_id for user_id, _ in messages)))
        keys = [message.key for _, message in messages if message.key is not None]
        sent = await uow.notifications.existing(keys) if keys else set()
        wanted = []
        for user_id, message in messages:
            user = users.get(user_id)
            if user is None or user.deleted_at is not None or message.key in sent:
                continue
            if message.key is not None:
                sent.add(message.key)
            wanted.append((Recipient(user.id, user.nickname, user.email), message))
        if not wanted:
            return Staged()
        staged = await stage_each(uow, deps, wanted, deps.clock.now())
        await uow.commit()
    await enqueue(deps, staged.jobs)
    return staged
