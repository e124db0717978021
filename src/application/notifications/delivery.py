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
from src.application.notifications.ports import NotificationsUnitOfWork, Recipient
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
    message: Outgoing
    now: datetime
    staged: Staged = field(default_factory=Staged)

    def inbox_row(self, notification_id: str, recipient: Recipient) -> Notification | None:
        message = self.message
        if Channel.INBOX not in message.channels:
            return None
        self.staged.inbox += 1
        return Notification(notification_id, recipient.user_id, message.type, message.title, message.body,
                            self.now, dict(message.data))  # fmt: skip

    def realtime(self, notification_id: str, recipient: Recipient) -> bool:
        """Every notification kept in an inbox is also pushed to the player's sockets (as is one sent over realtime
        alone), unless one announcement to everyone carries it instead."""
        message = self.message
        if not message.realtime_per_user or not {Channel.REALTIME, Channel.INBOX} & message.channels:
            return False
        self.uow.record(NotificationCreated(aggregate_id=recipient.user_id, occurred_at=self.now,
                                            notification_id=notification_id, type=message.type, title=message.title,
                                            body=message.body, data=dict(message.data)))  # fmt: skip
        return True

    async def sends(self, notification_id: str, recipient: Recipient, settings: NotificationSettings) -> bool:
        """Push to each subscription and the email, where the player's settings allow them now."""
        message, jobs = self.message, self.staged.jobs
        before = len(jobs)
        if Channel.PUSH in message.channels and settings.allows(Channel.PUSH, message.type, self.now):
            for subscription in await self.uow.push_subscriptions.for_user(recipient.user_id):
                jobs.append(push_job(notification_id, subscription.endpoint, recipient.user_id, message))
        if (
            Channel.EMAIL in message.channels
            and recipient.email
            and settings.allows(Channel.EMAIL, message.type, self.now)
        ):
            context = {"title": message.title, "body": message.body, **message.email_context}
            jobs.append(email_job(notification_id, recipient, message.email_template, context))
        return len(jobs) > before

    async def one(self, recipient: Recipient, settings: NotificationSettings, restricted: bool) -> Notification | None:
        if restricted and self.message.type in MARKETING_TYPES:
            self.staged.unreachable += 1
            return None
        notification_id = self.message.key or self.deps.ids.new_id()
        notification = self.inbox_row(notification_id, recipient)
        realtime = self.realtime(notification_id, recipient)
        sent = not restricted and await self.sends(notification_id, recipient, settings)
        reached = sent or realtime or notification is not None
        self.staged.reached += reached
        self.staged.unreachable += not reached
        return notification


async def stage(
    uow: NotificationsUnitOfWork,
    deps: NotificationDeps,
    recipients: Sequence[Recipient],
    message: Outgoing,
    now: datetime,
) -> Staged:
    """Write inbox rows and realtime events in `uow` (the caller commits); the jobs are returned, not queued."""
    fanout = _Fanout(uow, deps, message, now)
    user_ids = [recipient.user_id for recipient in recipients]
    stored = await uow.notification_settings.get_many(user_ids)
    restricted = await uow.limits.restricted_among(user_ids, now)
    notifications = []
    for recipient in recipients:
        settings = stored.get(recipient.user_id) or NotificationSettings(recipient.user_id)
        notification = await fanout.one(recipient, settings, recipient.user_id in restricted)
        if notification is not None:
            notifications.append(notification)
    if notifications:
        await uow.notifications.add_many(notifications)
    return fanout.staged


async def enqueue(deps: NotificationDeps, jobs: Sequence[QueuedJob]) -> None:
    """After commit: a send queued twice (a retried fan-out) is deduplicated by its job id."""
    for job in jobs:
        await deps.jobs.enqueue(job.job, job.payload, job_id=job.job_id)


async def notify_user(deps: NotificationDeps, user_id: str, message: Outgoing) -> Staged:
    """One player, e.g. from an event of another context; unknown or deleted users get nothing, and a message
    with a `key` already in the inbox is not sent again (events are delivered at least once)."""
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.deleted_at is not None:
            return Staged()
        if message.key is not None and await uow.notifications.get(message.key) is not None:
            return Staged()
        recipient = Recipient(user.id, user.nickname, user.email)
        staged = await stage(uow, deps, [recipient], message, deps.clock.now())
        await uow.commit()
    await enqueue(deps, staged.jobs)
    return staged
