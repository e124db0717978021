"""What the notifications use cases need: the inbox, preferences, push subscriptions, campaigns, senders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from src.application.identity.ports import HasUsers
from src.application.limits.ports import HasLimits
from src.application.shared.audit import Audited
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import UnitOfWork
from src.domain.notifications.audience import Target
from src.domain.notifications.campaigns import Campaign, CampaignStatus
from src.domain.notifications.model import Notification, NotificationSettings


@dataclass(frozen=True)
class InboxFilter:
    type: str | None = None
    unread_only: bool = False


class NotificationRepository(Protocol):
    async def add_many(self, notifications: Sequence[Notification]) -> None: ...

    async def add_new(self, notifications: Sequence[Notification]) -> set[str]:
        """Stores those whose id is not stored yet, e.g. by a concurrent delivery of the same event (waiting for
        one still uncommitted); the ids it stored."""
        ...

    async def get(self, notification_id: str) -> Notification | None: ...

    async def existing(self, notification_ids: Sequence[str]) -> set[str]:
        """Those of the ids that are stored (one query for a relay pass's keyed notifications)."""
        ...

    async def list_for_user(
        self, user_id: str, filters: InboxFilter, limit: int, after: Position | None
    ) -> Page[Notification]:
        """Newest first by (created_at, id)."""
        ...

    async def unread_count(self, user_id: str) -> int: ...

    async def mark_read(self, user_id: str, notification_id: str, now: datetime) -> Notification | None:
        """Sets read_at once (a second call keeps the first time); None when the user has no such notification."""
        ...

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        """How many were unread."""
        ...

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` notifications created before `cutoff`; how many went."""
        ...


class NotificationSettingsRepository(Protocol):
    async def get(self, user_id: str) -> NotificationSettings | None: ...

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, NotificationSettings]:
        """The stored settings of those users that have any."""
        ...

    async def save(self, settings: NotificationSettings, now: datetime) -> None:
        """Insert or replace the user's settings."""
        ...


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str
    user_id: str
    p256dh: str
    auth: str
    created_at: datetime


class PushSubscriptionRepository(Protocol):
    async def upsert(self, subscription: PushSubscription) -> None:
        """One row per endpoint: subscribing again (even as another user) replaces its keys and owner."""
        ...

    async def get(self, endpoint: str) -> PushSubscription | None: ...

    async def for_user(self, user_id: str) -> list[PushSubscription]: ...

    async def for_users(self, user_ids: Sequence[str]) -> dict[str, list[PushSubscription]]:
        """`for_user` of each of the users who have subscriptions, in one query."""
        ...

    async def delete(self, endpoint: str, user_id: str | None = None) -> bool:
        """Remove the endpoint (only if it is `user_id`'s when given); False when there was none."""
        ...


class CampaignRepository(Protocol):
    async def add(self, campaign: Campaign) -> None: ...

    async def get(self, campaign_id: str) -> Campaign | None: ...

    async def transition(
        self, campaign_id: str, from_statuses: Sequence[CampaignStatus], to: CampaignStatus, now: datetime
    ) -> bool:
        """Conditional status update decided by the database: False when the campaign was not in `from_statuses`."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of scheduled or dispatching campaigns whose time has come, oldest schedule first."""
        ...

    async def set_targeted(self, campaign_id: str, targeted: int) -> None: ...

    async def claim_delivery(self, campaign_id: str, user_id: str, now: datetime) -> bool:
        """Record that this user gets the campaign: True exactly once per (campaign, user), across processes;
        a concurrent claim of the same pair waits for the first and then answers False."""
        ...

    async def add_progress(self, campaign_id: str, sent: int, failed: int) -> None:
        """Add to the counters atomically (`sent = sent + n`), whoever else is adding."""
        ...

    async def list(self, limit: int, after: Position | None) -> Page[Campaign]:  # last: shadows `list` below it
        """Newest first by (created_at, id)."""
        ...


@dataclass(frozen=True)
class Recipient:
    user_id: str
    nickname: str
    email: str | None


class AudienceRepository(Protocol):
    async def members(self, target: Target, after_user_id: str | None, limit: int) -> list[Recipient]:
        """Active, undeleted users of the target, by user id (keyset: those after `after_user_id`)."""
        ...

    async def count(self, target: Target) -> int: ...

    async def has_segment(self, name: str) -> bool:
        """Whether a LiveOps segment of this name exists (a segment target naming none is refused)."""
        ...


class NotificationsUnitOfWork(UnitOfWork, HasUsers, HasLimits, Audited, Protocol):
    """Recipients are users (a restricted player is spared marketing); campaigns and broadcasts are admin actions,
    audited."""

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def notification_settings(self) -> NotificationSettingsRepository: ...

    @property
    def push_subscriptions(self) -> PushSubscriptionRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def audience(self) -> AudienceRepository: ...


class PushOutcome(Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # 404/410: the subscription is dead
    RETRY = "retry"  # 429/5xx/network: try again later
    REJECTED = "rejected"  # any other answer: our request is wrong, retrying will not help


@dataclass(frozen=True)
class PushResult:
    outcome: PushOutcome
    status: int | None = None
    retry_after_seconds: float | None = None


@dataclass(frozen=True)
class PushMessage:
    payload: bytes
    ttl_seconds: int
    urgency: str  # very-low | low | normal | high (RFC 8030)


class PushSender(Protocol):
    @property
    def public_key(self) -> str:
        """The VAPID application server key (URL-safe base64, uncompressed P-256 point)."""
        ...

    async def send(self, subscription: PushSubscription, message: PushMessage) -> PushResult: ...


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str


class MailerUnavailable(Exception):
    """The mail server could not take the message now (connection, 4xx): the job retries."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Raises MailerUnavailable for a transient failure."""
        ...
