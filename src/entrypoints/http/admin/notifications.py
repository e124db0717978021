"""Admin sends, campaigns and email triggers (each one audit-logged)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from src.application.notifications import campaigns
from src.application.notifications.broadcast import SendNotification, send_notification
from src.application.notifications.delivery import Outgoing
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.email import TriggerEmail, trigger_email
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.model import field_error, parse_channels
from src.domain.shared.principal import Principal
from src.entrypoints.http.notifications import NOTIFICATIONS
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.notifications import (
    AdminSendIn,
    AdminSendOut,
    CampaignIn,
    CampaignOut,
    EmailTriggerIn,
    EmailTriggerOut,
    TargetIn,
)
from src.entrypoints.http.security import client_info

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]


def _target(data: TargetIn) -> Target:
    return Target.parse(data.type, data.value)


class AdminNotificationController(Controller):
    path = "/notifications"
    tags = ["admin"]  # noqa: RUF012
    dependencies = NOTIFICATIONS

    @post("/send", operation_id="admin_send_notification", status_code=HTTP_200_OK)
    async def send(
        self, request: PrincipalRequest, data: JSONBody[AdminSendIn], notifications: NamedDependency[NotificationDeps]
    ) -> AdminSendOut:
        """Target: user (id), rank, vip_tier or everyone. Channels: inbox, realtime, push, email; push and email
        only reach players whose settings allow them now (they are queued, not sent, when this answers)."""
        message = Outgoing(data.type, data.title, data.body, parse_channels(data.channels), dict(data.data))
        command = SendNotification(request.user, client_info(request), _target(data.target), message)
        return AdminSendOut.of(await send_notification(command, notifications))


class AdminCampaignController(Controller):
    path = "/campaigns"
    tags = ["admin"]  # noqa: RUF012
    dependencies = NOTIFICATIONS

    @post("/", operation_id="admin_create_campaign")
    async def create(
        self, request: PrincipalRequest, data: JSONBody[CampaignIn], notifications: NamedDependency[NotificationDeps]
    ) -> CampaignOut:
        """Sent by the dispatcher at `scheduled_at`, once per targeted player."""
        command = campaigns.ScheduleCampaign(
            admin=request.user,
            client=client_info(request),
            title=data.title,
            body=data.body,
            channels=parse_channels(data.channels),
            target=_target(data.target),
            scheduled_at=data.scheduled_at,
        )
        return CampaignOut.of(await campaigns.schedule_campaign(command, notifications))

    @get("/", operation_id="admin_campaigns")
    async def list_campaigns(
        self, notifications: NamedDependency[NotificationDeps], limit: Limit, cursor: Cursor
    ) -> ListOut[CampaignOut]:
        """Newest first, with progress (targeted, sent, failed)."""
        page = await campaigns.list_campaigns(limit, cursor, notifications)
        return ListOut(items=[CampaignOut.of(campaign) for campaign in page.items], next_cursor=page.next_cursor)

    @post(
        "/{campaign_id:str}/cancel",
        operation_id="admin_cancel_campaign",
        status_code=HTTP_200_OK,
        responses={
            HTTP_404_NOT_FOUND: ResponseSpec(None, description="NOT_FOUND: no such campaign"),
            HTTP_409_CONFLICT: ResponseSpec(None, description="NOT_CANCELLABLE: already done or cancelled"),
        },
    )
    async def cancel(
        self, request: PrincipalRequest, campaign_id: FromPath[str], notifications: NamedDependency[NotificationDeps]
    ) -> CampaignOut:
        """A done or cancelled campaign → 409 NOT_CANCELLABLE."""
        cancelled = await campaigns.cancel_campaign(request.user, client_info(request), campaign_id, notifications)
        return CampaignOut.of(cancelled)


class AdminEmailController(Controller):
    path = "/email"
    tags = ["admin"]  # noqa: RUF012
    dependencies = NOTIFICATIONS

    @post("/trigger", operation_id="admin_trigger_email", status_code=HTTP_200_OK)
    async def trigger(
        self,
        request: PrincipalRequest,
        data: JSONBody[EmailTriggerIn],
        notifications: NamedDependency[NotificationDeps],
    ) -> EmailTriggerOut:
        """Templates: welcome, reward, purchase_receipt, campaign. `sent` counts the emails queued."""
        if (data.user_id is None) == (data.segment is None):
            raise field_error("user_id", "give exactly one of user_id and segment")
        target = Target(TargetKind.USER, data.user_id) if data.user_id else Target.segment(str(data.segment))
        command = TriggerEmail(request.user, client_info(request), data.template, target, dict(data.context))
        result = await trigger_email(command, notifications)
        return EmailTriggerOut(ok=True, targeted=result.targeted, sent=result.sent)
