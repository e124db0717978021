"""The player's notifications: inbox, settings and Web Push subscriptions (API.md "Notifications")."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_404_NOT_FOUND

from src.application.notifications import inbox, preferences, push
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import InboxFilter
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.notifications import (
    NotificationOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    ReadAllOut,
    TestPushOut,
    UnreadCountOut,
    UnsubscribeIn,
    UnsubscribeOut,
    VapidKeyOut,
)
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
TypeFilter = Annotated[str | None, QueryParameter(name="type", max_length=32)]
UnreadOnly = Annotated[bool, QueryParameter(name="unread_only")]


def provide_notifications(request: Request[Any, Any, Any]) -> NotificationDeps:
    return container_of(request).notifications


NOTIFICATIONS = {"notifications": Provide(provide_notifications, sync_to_thread=False)}


def _changes(user_id: str, data: NotificationSettingsIn) -> preferences.ChangeSettings:
    given = {key: value for key, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
    dnd = given.get("dnd")
    return preferences.ChangeSettings(
        user_id=user_id,
        types_enabled=given.get("types_enabled"),
        dnd=None if dnd is None else (dnd.start, dnd.end),
        clear_dnd="dnd" in given and dnd is None,
        email=given.get("email"),
        push=given.get("push"),
        timezone=given.get("timezone"),
    )


class NotificationsController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]  # noqa: RUF012
    dependencies = NOTIFICATIONS

    @get("/", operation_id="notifications_list")
    async def list_inbox(
        self,
        request: PrincipalRequest,
        notifications: NamedDependency[NotificationDeps],
        limit: Limit,
        cursor: Cursor,
        type_: TypeFilter = None,
        unread_only: UnreadOnly = False,
    ) -> ListOut[NotificationOut]:
        """The caller's inbox, newest first; `type` and `unread_only` filter it."""
        page = await inbox.list_inbox(request.user.user_id, InboxFilter(type_, unread_only), limit, cursor,
                                      notifications)  # fmt: skip
        return ListOut(items=[NotificationOut.of(n) for n in page.items], next_cursor=page.next_cursor)

    @get("/unread-count", operation_id="notifications_unread_count")
    async def unread(
        self, request: PrincipalRequest, notifications: NamedDependency[NotificationDeps]
    ) -> UnreadCountOut:
        return UnreadCountOut(count=await inbox.unread_count(request.user.user_id, notifications))

    @post(
        "/{notification_id:str}/read",
        operation_id="notifications_read",
        status_code=HTTP_200_OK,
        responses={HTTP_404_NOT_FOUND: ResponseSpec(None, description="NOT_FOUND: not one of the caller's")},
    )
    async def read(
        self,
        request: PrincipalRequest,
        notification_id: FromPath[str],
        notifications: NamedDependency[NotificationDeps],
    ) -> NotificationOut:
        """Another player's notification is 404."""
        return NotificationOut.of(await inbox.mark_read(request.user.user_id, notification_id, notifications))

    @post("/read-all", operation_id="notifications_read_all", status_code=HTTP_200_OK)
    async def read_all(self, request: PrincipalRequest, notifications: NamedDependency[NotificationDeps]) -> ReadAllOut:
        return ReadAllOut(updated=await inbox.mark_all_read(request.user.user_id, notifications))

    @get("/settings", operation_id="notifications_settings")
    async def settings(
        self, request: PrincipalRequest, notifications: NamedDependency[NotificationDeps]
    ) -> NotificationSettingsOut:
        return NotificationSettingsOut.of(await preferences.get_settings(request.user.user_id, notifications))

    @put("/settings", operation_id="notifications_update_settings")
    async def update_settings(
        self,
        request: PrincipalRequest,
        data: JSONBody[NotificationSettingsIn],
        notifications: NamedDependency[NotificationDeps],
    ) -> NotificationSettingsOut:
        """Push and email honour these (quiet hours in `timezone`); the inbox always keeps the notification."""
        changed = await preferences.update_settings(_changes(request.user.user_id, data), notifications)
        return NotificationSettingsOut.of(changed)

    @get("/push/vapid-public", operation_id="notifications_vapid_public")
    async def vapid_public(self, notifications: NamedDependency[NotificationDeps]) -> VapidKeyOut:
        return VapidKeyOut(public_key=notifications.push.public_key)

    @post("/push/subscribe", operation_id="notifications_push_subscribe", status_code=HTTP_201_CREATED)
    async def subscribe(
        self,
        request: PrincipalRequest,
        data: JSONBody[PushSubscriptionIn],
        notifications: NamedDependency[NotificationDeps],
    ) -> PushSubscriptionOut:
        """One subscription per endpoint: subscribing again replaces its keys (and owner)."""
        saved = await push.subscribe(request.user.user_id, data.endpoint, data.keys.p256dh, data.keys.auth,
                                     notifications)  # fmt: skip
        return PushSubscriptionOut(endpoint=saved.endpoint, created_at=saved.created_at)

    @post("/push/unsubscribe", operation_id="notifications_push_unsubscribe", status_code=HTTP_200_OK)
    async def unsubscribe(
        self, request: PrincipalRequest, data: JSONBody[UnsubscribeIn], notifications: NamedDependency[NotificationDeps]
    ) -> UnsubscribeOut:
        return UnsubscribeOut(removed=await push.unsubscribe(request.user.user_id, data.endpoint, notifications))

    @post("/push/test", operation_id="notifications_push_test", status_code=HTTP_202_ACCEPTED)
    async def test_push(
        self, request: PrincipalRequest, notifications: NamedDependency[NotificationDeps]
    ) -> TestPushOut:
        """Queues a test push to each of the caller's subscriptions."""
        return TestPushOut(queued=await push.send_test(request.user.user_id, notifications))
