"""Gateway → server: the signed payment webhook. No bearer token; the X-Signature HMAC over the raw body is the
authentication, so the body is read as bytes and never re-serialised before it is checked."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK

from src.application.shop.deps import PurchaseDeps
from src.application.shop.webhooks import PaymentWebhook, handle_payment_webhook
from src.entrypoints.http.schemas.transactions import WebhookAckOut
from src.entrypoints.http.security import PUBLIC
from src.entrypoints.http.shop import PURCHASES

SIGNATURE_HEADER = "x-signature"


class PaymentWebhookController(Controller):
    path = "/api/shop/webhook"
    tags = ["shop"]  # noqa: RUF012
    dependencies = PURCHASES

    @post("/payment", operation_id="shop_payment_webhook", status_code=HTTP_200_OK, opt={PUBLIC: True})
    async def payment(self, request: Request[Any, Any, Any], purchases: NamedDependency[PurchaseDeps]) -> WebhookAckOut:
        """`X-Signature: t=<unix>,v1=<hex>` (several v1 during a secret rotation). 400 WEBHOOK_SIGNATURE_INVALID,
        409 WEBHOOK_REPLAY (older than 300 s), 400 VALIDATION_ERROR (malformed body); a repeated event_id is
        200 with `duplicate: true` and no effect. Every request is stored for audit."""
        hook = PaymentWebhook(raw_body=await request.body(), signature=request.headers.get(SIGNATURE_HEADER))
        return WebhookAckOut.of(await handle_payment_webhook(hook, purchases))
