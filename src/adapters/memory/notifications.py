"""In-memory notifications (unit-test fakes; the same contract as the SQL ones).

Deleted rows stay as `None` tombstones, so a unit of work's delete is published on commit like any change.
Campaign state and deliveries are written under row locks, as the SQL conditional statements decide them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import IdentityTables, Workspace, newest_first_page
from src.application.notifications.ports import InboxFilter, PushSubscription, Recipient
from src.application.shared.pagination import Page, Position
from src.domain.identity.model import AccountStatus, User
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.campaigns import Campaign, CampaignStatus
from src.domain.notifications.model import Notification, NotificationSettings


@dataclass
class NotificationTables:
    notifications: dict[str, Notification | None] = field(default_factory=dict)
    notification_settings: dict[str, NotificationSettings] = field(default_factory=dict)
    push_subscriptions: dict[str, PushSubscription | None] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    campaign_deliveries: dict[tuple[str, str], datetime] = field(default_factory=dict)


class InMemoryNotificationRepository:
    def __init__(self, workspace: Workspace[NotificationTables]) -> None:
        self._workspace = workspace

    def _of(self, user_id: str) -> list[Notification]:
        rows = self._workspace.working.notifications.values()
        return [row for row in rows if row is not None and row.user_id == user_id]

    async def add_many(self, notifications: Sequence[Notification]) -> None:
        for notification in notifications:
            if self._workspace.working.notifications.get(notification.id) is not None:
                raise ValueError(f"notification {notification.id} exists")  # a primary key in SQL
            self._workspace.working.notifications[notification.id] = deepcopy(notification)

    async def add_new(self, notifications: Sequence[Notification]) -> set[str]:
        stored = self._workspace.working.notifications
        new = [notification for notification in notifications if stored.get(notification.id) is None]
        await self.add_many(new)
        return {notification.id for notification in new}

    async def get(self, notification_id: str) -> Notification | None:
        return deepcopy(self._workspace.working.notifications.get(notification_id))

    async def existing(self, notification_ids: Sequence[str]) -> set[str]:
        stored = self._workspace.working.notifications
        return {notification_id for notification_id in notification_ids if stored.get(notification_id) is not None}

    async def list_for_user(
        self, user_id: str, filters: InboxFilter, limit: int, after: Position | None
    ) -> Page[Notification]:
        rows = [
            row
            for row in self._of(user_id)
            if (filters.type is None or row.type == filters.type) and not (filters.unread_only and row.read_at)
        ]
        return newest_first_page(rows, lambda row: (row.created_at, row.id), limit, after)

    async def unread_count(self, user_id: str) -> int:
        return sum(1 for row in self._of(user_id) if row.read_at is None)

    async def mark_read(self, user_id: str, notification_id: str, now: datetime) -> Notification | None:
        row = self._workspace.working.notifications.get(notification_id)
        if row is None or row.user_id != user_id:
            return None
        if row.read_at is None:
            row.read_at = now
        return deepcopy(row)

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        unread = [row for row in self._of(user_id) if row.read_at is None]
        for row in unread:
            row.read_at = now
        return len(unread)

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        rows = self._workspace.working.notifications
        old = sorted((row.created_at, key) for key, row in rows.items() if row is not None and row.created_at < cutoff)
        for _, key in old[:limit]:
            rows[key] = None
        return len(old[:limit])


class InMemoryNotificationSettingsRepository:
    def __init__(self, workspace: Workspace[NotificationTables]) -> None:
        self._workspace = workspace

    async def get(self, user_id: str) -> NotificationSettings | None:
        return deepcopy(self._workspace.working.notification_settings.get(user_id))

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, NotificationSettings]:
        stored = self._workspace.working.notification_settings
        return {user_id: deepcopy(stored[user_id]) for user_id in user_ids if user_id in stored}

    async def save(self, settings: NotificationSettings, now: datetime) -> None:
        await self._workspace.lock_row("notification_settings", settings.user_id)
        self._workspace.working.notification_settings[settings.user_id] = replace(
            settings, types_enabled=settings.complete_types()
        )


class InMemoryPushSubscriptionRepository:
    def __init__(self, workspace: Workspace[NotificationTables]) -> None:
        self._workspace = workspace

    async def upsert(self, subscription: PushSubscription) -> None:
        await self._workspace.lock_row("push_subscriptions", subscription.endpoint)
        self._workspace.working.push_subscriptions[subscription.endpoint] = subscription

    async def get(self, endpoint: str) -> PushSubscription | None:
        return self._workspace.working.push_subscriptions.get(endpoint)

    async def for_user(self, user_id: str) -> builtins.list[PushSubscription]:
        rows = self._workspace.working.push_subscriptions.values()
        mine = [row for row in rows if row is not None and row.user_id == user_id]
        return sorted(mine, key=lambda row: row.created_at)

    async def for_users(self, user_ids: Sequence[str]) -> dict[str, builtins.list[PushSubscription]]:
        found: dict[str, builtins.list[PushSubscription]] = {}
        for user_id in user_ids:
            if mine := await self.for_user(user_id):
                found[user_id] = mine
        return found

    async def delete(self, endpoint: str, user_id: str | None = None) -> bool:
        await self._workspace.lock_row("push_subscriptions", endpoint)
        row = self._workspace.working.push_subscriptions.get(endpoint)
        if row is None or (user_id is not None and row.user_id != user_id):
            return False
        self._workspace.working.push_subscriptions[endpoint] = None
        return True


class InMemoryCampaignRepository:
    def __init__(self, workspace: Workspace[NotificationTables]) -> None:
        self._workspace = workspace

    async def add(self, campaign: Campaign) -> None:
        await self._workspace.lock_row("campaigns", campaign.id)
        if campaign.id in self._workspace.working.campaigns:
            raise ValueError(f"campaign {campaign.id} exists")
        self._workspace.working.campaigns[campaign.id] = campaign

    async def get(self, campaign_id: str) -> Campaign | None:
        return self._workspace.working.campaigns.get(campaign_id)

    async def list(self, limit: int, after: Position | None) -> Page[Campaign]:
        rows = self._workspace.working.campaigns.values()
        return newest_first_page(rows, lambda row: (row.created_at, row.id), limit, after)

    async def transition(
        self, campaign_id: str, from_statuses: Sequence[CampaignStatus], to: CampaignStatus, now: datetime
    ) -> bool:
        await self._workspace.lock_row("campaigns", campaign_id)
        campaign = self._workspace.working.campaigns.get(campaign_id)
        if campaign is None or campaign.status not in from_statuses:
            return False
        final = to in (CampaignStatus.DONE, CampaignStatus.CANCELLED)
        self._workspace.working.campaigns[campaign_id] = replace(
            campaign, status=to, finished_at=now if final else None
        )
        return True

    async def due(self, now: datetime, limit: int) -> builtins.list[str]:
        rows = [row for row in self._workspace.working.campaigns.values() if row.open and row.scheduled_at <= now]
        return [row.id for row in sorted(rows, key=lambda row: (row.scheduled_at, row.id))[:limit]]

    async def set_targeted(self, campaign_id: str, targeted: int) -> None:
        await self._workspace.lock_row("campaigns", campaign_id)
        campaign = self._workspace.working.campaigns[campaign_id]
        self._workspace.working.campaigns[campaign_id] = replace(campaign, targeted=targeted)

    async def claim_delivery(self, campaign_id: str, user_id: str, now: datetime) -> bool:
        await self._workspace.lock_row("campaign_deliveries", (campaign_id, user_id))
        if (campaign_id, user_id) in self._workspace.working.campaign_deliveries:
            return False
        self._workspace.working.campaign_deliveries[(campaign_id, user_id)] = now
        return True

    async def add_progress(self, campaign_id: str, sent: int, failed: int) -> None:
        if sent or failed:
            await self._workspace.lock_row("campaigns", campaign_id)
            campaign = self._workspace.working.campaigns[campaign_id]
            changed = replace(campaign, sent=campaign.sent + sent, failed=campaign.failed + failed)
            self._workspace.working.campaigns[campaign_id] = changed


def _member(user: User, target: Target) -> bool:
    if user.status is not AccountStatus.ACTIVE or user.deleted_at is not None:
        return False
    if target.kind is TargetKind.USER:
        return user.id == target.value
    if target.kind is TargetKind.RANK:
        return user.rank.value == target.value
    if target.kind is TargetKind.VIP_TIER:
        return str(user.vip_tier) == target.value
    return target.kind is TargetKind.EVERYONE


class InMemoryAudienceRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    def _all(self, target: Target) -> builtins.list[User]:
        return sorted((u for u in self._workspace.working.users.values() if _member(u, target)), key=lambda u: u.id)

    async def members(self, target: Target, after_user_id: str | None, limit: int) -> builtins.list[Recipient]:
        users = [user for user in self._all(target) if after_user_id is None or user.id > after_user_id]
        return [Recipient(user.id, user.nickname, user.email) for user in users[:limit]]

    async def count(self, target: Target) -> int:
        return len(self._all(target))

    async def has_segment(self, name: str) -> bool:
        return False  # segments are computed by the database (LiveOps): in memory there are none
