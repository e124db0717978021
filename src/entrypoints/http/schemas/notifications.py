"""Wire formats of the notification routes and the admin's sends, campaigns and email triggers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.notifications.broadcast import SendResult
from src.domain.notifications.campaigns import Campaign
from src.domain.notifications.model import Notification, NotificationSettings
from src.entrypoints.http.schemas.identity import AwareDateTime, Struct

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Body = Annotated[str, msgspec.Meta(max_length=2000)]
Clock = Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$")]
ChannelName = Annotated[str, msgspec.Meta(max_length=16)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class NotificationOut(Struct):
    id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    read: bool

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(id=n.id, type=n.type, title=n.title, body=n.body, data=n.data, created_at=n.created_at,
                   read_at=n.read_at, read=n.read_at is not None)  # fmt: skip


class UnreadCountOut(Struct):
    count: int


class ReadAllOut(Struct):
    updated: int


class DndWindow(Struct):
    """Local time in the player's timezone; a window may cross midnight (23:00 → 08:00)."""

    start: Clock
    end: Clock


class NotificationSettingsOut(Struct):
    types_enabled: dict[str, bool]
    dnd: DndWindow | None
    email: bool
    push: bool
    timezone: str

    @classmethod
    def of(cls, settings: NotificationSettings) -> NotificationSettingsOut:
        quiet = settings.dnd
        dnd = None if quiet is None else DndWindow(quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M"))
        return cls(types_enabled=settings.complete_types(), dnd=dnd, email=settings.email, push=settings.push,
                   timezone=settings.timezone)  # fmt: skip


class NotificationSettingsIn(Struct):
    """Fields left out keep their value; `dnd: null` switches quiet hours off; `timezone` is an IANA name."""

    types_enabled: dict[Annotated[str, msgspec.Meta(max_length=32)], bool] | msgspec.UnsetType = msgspec.UNSET
    dnd: DndWindow | msgspec.UnsetType | None = msgspec.UNSET
    email: bool | msgspec.UnsetType = msgspec.UNSET
    push: bool | msgspec.UnsetType = msgspec.UNSET
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | msgspec.UnsetType = msgspec.UNSET


class VapidKeyOut(Struct):
    public_key: str  # the applicationServerKey for pushManager.subscribe


class PushKeys(Struct):
    p256dh: Key
    auth: Key


class PushSubscriptionIn(Struct):
    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    keys: PushKeys


class PushSubscriptionOut(Struct):
    endpoint: str
    created_at: datetime


class UnsubscribeIn(Struct):
    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class UnsubscribeOut(Struct):
    removed: bool


class TestPushOut(Struct):
    queued: int  # one push per subscription of the caller


class TargetIn(Struct):
    """Who a message is for. A segment target reaches the segment's members as of its last recompute, read when
    the message is sent (a campaign: at its dispatch), each player once; an unknown segment is a 400."""

    type: Annotated[
        str,
        msgspec.Meta(
            max_length=16,
            description="user | rank | vip_tier | segment | everyone",
            examples=["segment", "vip_tier", "everyone"],
        ),
    ]
    value: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=64,
                description="user: an id; rank: STANDARD, PREMIUM or VIP; vip_tier: a whole number; segment: a "
                "segment's name (an RFM group such as Whale or At-risk, or a custom segment); everyone: null",
                examples=["At-risk", "VIP", "2"],
            ),
        ]
        | int
        | None
    ) = None


class TargetOut(Struct):
    type: str
    value: str | None


class AdminSendIn(Struct):
    target: TargetIn
    channels: Annotated[list[ChannelName], msgspec.Meta(min_length=1, max_length=4)]  # inbox realtime push email
    title: Title
    body: Body = ""
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "system"
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class AdminSendOut(Struct):
    id: str
    targeted: int
    inbox: int
    push_queued: int
    email_queued: int
    announced: bool

    @classmethod
    def of(cls, result: SendResult) -> AdminSendOut:
        return cls(id=result.id, targeted=result.targeted, inbox=result.inbox, push_queued=result.push_queued,
                   email_queued=result.email_queued, announced=result.announced)  # fmt: skip


class CampaignIn(Struct):
    title: Title
    channels: Annotated[list[ChannelName], msgspec.Meta(min_length=1, max_length=4)]
    target: TargetIn
    scheduled_at: AwareDateTime
    body: Body = ""


class CampaignProgress(Struct):
    targeted: int
    sent: int
    failed: int


class CampaignOut(Struct):
    id: str
    title: str
    body: str
    channels: list[str]
    target: TargetOut
    scheduled_at: datetime
    status: str
    progress: CampaignProgress
    created_by: str
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls(
            id=c.id, title=c.title, body=c.body, channels=sorted(c.channels),
            target=TargetOut(c.target.kind.value, c.target.value), scheduled_at=c.scheduled_at, status=c.status.value,
            progress=CampaignProgress(c.targeted, c.sent, c.failed), created_by=c.created_by, created_at=c.created_at,
            finished_at=c.finished_at,
        )  # fmt: skip


class EmailTriggerIn(Struct):
    """Exactly one of `user_id` and `segment` (everyone, rank:<RANK>, vip_tier:<n>, or a segment's name, also as
    segment:<name>)."""

    template: Annotated[str, msgspec.Meta(max_length=32)]
    user_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    segment: Annotated[str, msgspec.Meta(max_length=80, examples=["At-risk", "segment:lapsed_spenders"])] | None = None
    context: dict[str, Any] = msgspec.field(default_factory=dict)


class EmailTriggerOut(Struct):
    ok: bool
    targeted: int
    sent: int  # queued for the mail server (players with an address who allow this email)
