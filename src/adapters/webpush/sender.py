"""PushSender over HTTP with the `webpush` library: aes128gcm payload encryption and a VAPID JWT per request."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import structlog
from webpush import WebPush, WebPushSubscription

from src.adapters.webpush.vapid import VapidKeys
from src.application.notifications.ports import PushMessage, PushOutcome, PushResult, PushSubscription

logger = structlog.get_logger("casino_club.push")
JWT_LIFETIME_SECONDS = 12 * 3600


def _retry_after(value: str | None) -> float | None:
    """Seconds, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def outcome_of(status: int) -> PushOutcome:
    if 200 <= status < 300:
        return PushOutcome.DELIVERED
    if status in (404, 410):
        return PushOutcome.GONE
    if status == 429 or status >= 500:
        return PushOutcome.RETRY
    return PushOutcome.REJECTED


class WebPushSender:
    """Implements PushSender. The client (its pool and timeouts) belongs to the composition root."""

    def __init__(self, keys: VapidKeys, contact_email: str, client: httpx.AsyncClient) -> None:
        self._keys = keys
        self._contact = contact_email
        self._client = client

    @property
    def public_key(self) -> str:
        return self._keys.application_server_key

    async def send(self, subscription: PushSubscription, message: PushMessage) -> PushResult:
        # a WebPush per send: the library keeps the last ttl on the instance
        pusher = WebPush(self._keys.private_pem, self._keys.public_pem, self._contact, ttl=message.ttl_seconds,
                         expiration=JWT_LIFETIME_SECONDS)  # fmt: skip
        target = WebPushSubscription.model_validate(
            {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        )
        prepared = pusher.get(message.payload, target)
        headers = {**prepared.headers, "ttl": str(message.ttl_seconds), "urgency": message.urgency,
                   "content-type": "application/octet-stream"}  # fmt: skip
        try:
            response = await self._client.post(subscription.endpoint, content=prepared.encrypted, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("push service unreachable", error=type(exc).__name__)
            return PushResult(PushOutcome.RETRY)
        return PushResult(outcome_of(response.status_code), response.status_code,
                          _retry_after(response.headers.get("retry-after")))  # fmt: skip


class RecordingPushSender:
    """The embedded default: each push is written as JSON under VAR_DIR/push/ instead of going out."""

    def __init__(self, keys: VapidKeys, directory: Path) -> None:
        self._keys = keys
        self._directory = directory

    @property
    def public_key(self) -> str:
        return self._keys.application_server_key

    async def send(self, subscription: PushSubscription, message: PushMessage) -> PushResult:
        self._directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        record = {"endpoint": subscription.endpoint, "user_id": subscription.user_id, "ttl": message.ttl_seconds,
                  "urgency": message.urgency, "payload": json.loads(message.payload)}  # fmt: skip
        path = self._directory / f"{stamp}-{subscription.user_id}.json"
        path.write_text(json.dumps(record, indent=2))
        return PushResult(PushOutcome.DELIVERED, 201)
