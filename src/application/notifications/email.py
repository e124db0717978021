"""Email: the send job (templates rendered at send time) and the admin trigger for a user or a segment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from src.application.notifications.delivery import QueuedJob, email_job, enqueue
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import EmailMessage, MailerUnavailable, Recipient
from src.application.notifications.targets import check_target
from src.application.notifications.templates import render, template_named
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.jobs import RetryLater
from src.domain.notifications.audience import Target
from src.domain.notifications.model import Channel, NotificationSettings
from src.domain.shared.principal import Principal

logger = structlog.get_logger("casino_club.email")


async def send_email(job: dict[str, Any], deps: NotificationDeps) -> bool:
    """The `send_email` job; a mail server that cannot take it now means a later run with backoff."""
    rendered = render(str(job["template"]), dict(job.get("context") or {}))
    message = EmailMessage(str(job["to"]), rendered.subject, rendered.text, rendered.html)
    try:
        await deps.mailer.send(message)
    except MailerUnavailable:
        key = f"notifications:attempts:email:{job['delivery_id']}"
        attempts = await deps.cache.incr(key, ttl_seconds=86_400)
        if attempts >= deps.config.max_attempts:
            logger.warning("email gave up after its attempts", template=job["template"], attempts=attempts)
            return False
        raise RetryLater(deps.config.retry_delay(attempts)) from None
    return True


@dataclass(frozen=True)
class TriggerEmail:
    admin: Principal
    client: ClientInfo
    template: str
    target: Target
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TriggerResult:
    targeted: int
    sent: int  # queued for the mail server: players with an address who allow this email


async def trigger_email(cmd: TriggerEmail, deps: NotificationDeps) -> TriggerResult:
    """Audit-logged first; then the audience is read in batches and one email job queued per allowed player (none
    to a player on a time-out or self-excluded)."""
    template_named(cmd.template)
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        await check_target(uow.audience, cmd.target, "segment")
        payload = {"target": cmd.target.describe(), "context": cmd.context}
        await write_audit(uow, AdminAction(cmd.admin, cmd.client, "email.trigger", "email", cmd.template, payload),
                          deps.ids, now)  # fmt: skip
        await uow.commit()
    after, targeted, jobs = None, 0, []
    while True:
        async with deps.uow_factory() as uow:
            batch = await uow.audience.members(cmd.target, after, deps.config.dispatch_batch_size)
            settings = await uow.notification_settings.get_many([member.user_id for member in batch])
            restricted = await uow.limits.restricted_among([member.user_id for member in batch], now)
        targeted += len(batch)
        jobs += [
            _job(member, cmd, deps)
            for member in batch
            if member.user_id not in restricted and _wants(member, settings, cmd.template, now)
        ]
        if len(batch) < deps.config.dispatch_batch_size:
            break
        after = batch[-1].user_id
    await enqueue(deps, jobs)
    return TriggerResult(targeted, len(jobs))


def _wants(member: Recipient, settings: dict[str, NotificationSettings], template: str, now: datetime) -> bool:
    preferences = settings.get(member.user_id) or NotificationSettings(member.user_id)
    return bool(member.email) and preferences.allows(Channel.EMAIL, template_named(template).notification_type, now)


def _job(member: Recipient, cmd: TriggerEmail, deps: NotificationDeps) -> QueuedJob:
    return email_job(deps.ids.new_id(), member, cmd.template, cmd.context)


async def send_welcome(user_id: str, deps: NotificationDeps) -> bool:
    """`send_welcomes` to one player: whether their email was queued."""
    return await send_welcomes([user_id], deps) > 0


async def send_welcomes(user_ids: Sequence[str], deps: NotificationDeps) -> int:
    """On a relay pass's UserSignedUp: the welcome email to each new player who gave an address and allows it (one
    read transaction for all; queued once per player: the job id is theirs); how many were queued."""
    ids = list(dict.fromkeys(user_ids))
    async with deps.uow_factory() as uow:
        users = await uow.users.get_many(ids)
        settings = await uow.notification_settings.get_many(ids)
    now = deps.clock.now()
    members = [Recipient(user.id, user.nickname, user.email) for id_ in ids if (user := users.get(id_)) and user.email]
    jobs = [
        email_job(f"welcome-{member.user_id}", member, "welcome", {})
        for member in members
        if _wants(member, settings, "welcome", now)
    ]
    await enqueue(deps, jobs)
    return len(jobs)
