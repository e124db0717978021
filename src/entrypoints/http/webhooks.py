"""Gateway → server: the signed payment webhook. No bearer token; the X-Signature HMAC over the raw body is the
authentication, so the body is read as bytes and never re-serialised before it is checked."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from src.application.shop.deps import PurchaseDeps
from src.application.shop.webhooks import PaymentWebhook, handle_payment_webhook
from src.entrypoints.http.schemas.transactions import WebhookAckOut
from src.entrypoints.http.security import PUBLIC
from src.entrypoints.http.shop import PURCHASES

Signature = Annotated[
    str | None,
    HeaderParameter(name="x-signature", description='"t=<unix>,v1=<hex hmac_sha256(secret, "<t>.<raw body>")>"'),
]
RESPONSES = {
    HTTP_200_OK: ResponseSpec(WebhookAckOut, description="Received; `duplicate: true` for an event id seen before"),
    HTTP_400_BAD_REQUEST: ResponseSpec(None, description="WEBHOOK_SIGNATURE_INVALID, or VALIDATION_ERROR"),
    HTTP_409_CONFLICT: ResponseSpec(None, description="WEBHOOK_REPLAY: older than 300 s, or this request again"),
}


class PaymentWebhookController(Controller):
    path = "/api/shop/webhook"
    tags = ["shop"]  # noqa: RUF012
    dependencies = PURCHASES

    @post(
        "/payment",
        operation_id="shop_payment_webhook",
        status_code=HTTP_200_OK,
        opt={PUBLIC: True},
        responses=RESPONSES,
    )
    async def payment(
        self, request: Request[Any, Any, Any], purchases: NamedDependency[PurchaseDeps], signature: Signature = None
    ) -> WebhookAckOut:
        """The gateway's event `{event_id, type, charge_id, …}` as JSON, signed over its raw bytes; several `v1=`
        values are accepted during a secret rotation. Every request is stored for audit."""
        hook = PaymentWebhook(raw_body=await request.body(), signature=signature)
        return WebhookAckOut.of(await handle_payment_webhook(hook, purchases))
