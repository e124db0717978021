"""Admin audit view of the gateway webhook requests, stored as they arrived (rejected ones included)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from src.application.shop.deps import PurchaseDeps
from src.application.shop.webhooks import list_webhook_requests
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.transactions import WebhookRequestOut
from src.entrypoints.http.shop import PURCHASES

Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
EventId = Annotated[str | None, QueryParameter(name="event_id", max_length=255)]


class AdminWebhookRequestController(Controller):
    path = "/webhook-requests"
    tags = ["admin"]  # noqa: RUF012
    dependencies = PURCHASES

    @get("/", operation_id="admin_webhook_requests")
    async def requests(
        self,
        purchases: NamedDependency[PurchaseDeps],
        limit: Limit = None,
        cursor: Cursor = None,
        event_id: EventId = None,
    ) -> ListOut[WebhookRequestOut]:
        """Newest first; `event_id` narrows to the requests that named one gateway event."""
        page = await list_webhook_requests(event_id, limit, cursor, purchases)
        return ListOut(items=[WebhookRequestOut.of(request) for request in page.items], next_cursor=page.next_cursor)
