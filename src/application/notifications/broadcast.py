"""The admin's send: one message to a user, a rank, a VIP tier or everyone, over the chosen channels."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from src.application.notifications.delivery import Outgoing, Staged, enqueue, stage
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.targets import check_target
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.events import AnnouncementPublished
from src.domain.notifications.model import Channel
from src.domain.shared.principal import Principal


@dataclass(frozen=True)
class SendNotification:
    admin: Principal
    client: ClientInfo
    target: Target
    message: Outgoing


@dataclass(frozen=True)
class SendResult:
    id: str
    targeted: int
    inbox: int
    push_queued: int
    email_queued: int
    announced: bool


def _audit(cmd: SendNotification, send_id: str) -> AdminAction:
    payload = {
        "target": cmd.target.describe(),
        "channels": sorted(cmd.message.channels),
        "type": cmd.message.type,
        "title": cmd.message.title,
    }
    return AdminAction(cmd.admin, cmd.client, "notification.send", "notification", send_id, payload)


async def send_notification(cmd: SendNotification, deps: NotificationDeps) -> SendResult:
    """Everyone over realtime is one announcement (not one event per player); the rest is per player, in
    batches of short transactions. The audit entry (and the announcement) commit with the first batch."""
    send_id, now = deps.ids.new_id(), deps.clock.now()
    announce = cmd.target.kind is TargetKind.EVERYONE and Channel.REALTIME in cmd.message.channels
    message = replace(cmd.message, realtime_per_user=not announce, data={**cmd.message.data, "send_id": send_id})
    total, targeted, after, first = Staged(), 0, None, True
    while True:
        async with deps.uow_factory() as uow:
            if first:
                await check_target(uow.audience, cmd.target)
                await write_audit(uow, _audit(cmd, send_id), deps.ids, now)
                if announce:
                    uow.record(_announcement(send_id, message, now))
            batch = await uow.audience.members(cmd.target, after, deps.config.dispatch_batch_size)
            staged = await stage(uow, deps, batch, message, now)
            await uow.commit()
        first = False
        await enqueue(deps, staged.jobs)
        targeted += len(batch)
        total.inbox, total.jobs = total.inbox + staged.inbox, total.jobs + staged.jobs
        if len(batch) < deps.config.dispatch_batch_size:
            break
        after = batch[-1].user_id
    return SendResult(send_id, targeted, total.inbox, total.push, total.email, announce)


def _announcement(send_id: str, message: Outgoing, now: datetime) -> AnnouncementPublished:
    return AnnouncementPublished(
        aggregate_id=send_id,
        occurred_at=now,
        announcement_id=send_id,
        title=message.title,
        body=message.body,
        data=dict(message.data),
    )
