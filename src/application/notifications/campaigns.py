"""Campaigns: scheduled by an admin, dispatched by a cron job exactly once per targeted player.

Any number of dispatchers may run at once (two workers, an app instance): each player's delivery is claimed by
a unique (campaign, player) row in the same transaction as the inbox row, so a pair is delivered once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from src.application.notifications.delivery import Outgoing, enqueue, stage
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import NotificationsUnitOfWork
from src.application.notifications.targets import check_target
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.notifications.audience import Target
from src.domain.notifications.campaigns import Campaign, CampaignNotCancellable, CampaignStatus
from src.domain.notifications.model import Channel
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal

OPEN = (CampaignStatus.SCHEDULED, CampaignStatus.DISPATCHING)


@dataclass(frozen=True)
class ScheduleCampaign:
    admin: Principal
    client: ClientInfo
    title: str
    body: str
    channels: frozenset[Channel]
    target: Target
    scheduled_at: datetime


def _audit(admin: Principal, client: ClientInfo, action: str, campaign: Campaign) -> AdminAction:
    payload = {"title": campaign.title, "target": campaign.target.describe(), "channels": sorted(campaign.channels),
               "scheduled_at": campaign.scheduled_at.isoformat()}  # fmt: skip
    return AdminAction(admin, client, action, "campaign", campaign.id, payload)


async def schedule_campaign(cmd: ScheduleCampaign, deps: NotificationDeps) -> Campaign:
    """A time in the past means "as soon as the dispatcher runs"."""
    now = deps.clock.now()
    campaign = Campaign(deps.ids.new_id(), cmd.title, cmd.body, cmd.channels, cmd.target, cmd.scheduled_at,
                        cmd.admin.user_id, now)  # fmt: skip
    async with deps.uow_factory() as uow:
        await check_target(uow.audience, cmd.target)
        await uow.campaigns.add(campaign)
        await write_audit(uow, _audit(cmd.admin, cmd.client, "campaign.create", campaign), deps.ids, now)
        await uow.commit()
    return campaign


async def list_campaigns(limit: int | None, cursor: str | None, deps: NotificationDeps) -> Page[Campaign]:
    async with deps.uow_factory() as uow:
        return await uow.campaigns.list(check_limit(limit), decode_cursor(cursor))


async def cancel_campaign(admin: Principal, client: ClientInfo, campaign_id: str, deps: NotificationDeps) -> Campaign:
    """Scheduled or dispatching → cancelled, decided by the database; a dispatcher stops at its next batch."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        campaign = await uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound("no such campaign")
        if not await uow.campaigns.transition(campaign_id, OPEN, CampaignStatus.CANCELLED, now):
            raise CampaignNotCancellable(details={"status": campaign.status.value})
        await write_audit(uow, _audit(admin, client, "campaign.cancel", campaign), deps.ids, now)
        await uow.commit()
    return replace(campaign, status=CampaignStatus.CANCELLED)


async def dispatch_due(deps: NotificationDeps) -> int:
    """Cron: deliver every campaign whose time has come; returns how many players this run reached."""
    async with deps.uow_factory() as uow:
        due = await uow.campaigns.due(deps.clock.now(), limit=20)
    return sum([await dispatch_campaign(campaign_id, deps) for campaign_id in due])


async def _start(uow: NotificationsUnitOfWork, campaign: Campaign, now: datetime) -> None:
    """The first dispatcher in counts the audience; a campaign already dispatching is joined as it is."""
    if await uow.campaigns.transition(campaign.id, [CampaignStatus.SCHEDULED], CampaignStatus.DISPATCHING, now):
        await uow.campaigns.set_targeted(campaign.id, await uow.audience.count(campaign.target))
        await uow.commit()


async def dispatch_campaign(campaign_id: str, deps: NotificationDeps) -> int:
    async with deps.uow_factory() as uow:
        campaign = await uow.campaigns.get(campaign_id)
        if campaign is None or not campaign.open or campaign.scheduled_at > deps.clock.now():
            return 0
        await _start(uow, campaign, deps.clock.now())
    message = Outgoing("campaign", campaign.title, campaign.body, campaign.channels, {"campaign_id": campaign.id})
    after: str | None = None
    reached = 0
    while after != _END:
        after, count = await _dispatch_batch(campaign, message, after, deps)
        reached += count
    return reached


_END = "\x00end"  # no user id is this


async def _dispatch_batch(
    campaign: Campaign, message: Outgoing, after: str | None, deps: NotificationDeps
) -> tuple[str, int]:
    """Claim and deliver the next batch of players in one transaction; returns where to go on (or _END)."""
    async with deps.uow_factory() as uow:
        current = await uow.campaigns.get(campaign.id)
        if current is None or current.status is not CampaignStatus.DISPATCHING:
            return _END, 0  # cancelled, or finished by another dispatcher
        batch = await uow.audience.members(campaign.target, after, deps.config.dispatch_batch_size)
        now = deps.clock.now()
        if not batch:
            await uow.campaigns.transition(campaign.id, [CampaignStatus.DISPATCHING], CampaignStatus.DONE, now)
            await uow.commit()
            return _END, 0
        claimed = [member for member in batch if await uow.campaigns.claim_delivery(campaign.id, member.user_id, now)]
        staged = await stage(uow, deps, claimed, message, now)
        await uow.campaigns.add_progress(campaign.id, staged.reached, staged.unreachable)
        await uow.commit()
    await enqueue(deps, staged.jobs)
    return batch[-1].user_id, staged.reached
