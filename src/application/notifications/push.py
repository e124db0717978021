"""Web Push: subscriptions (one per endpoint), the test push, and the send job with its retry rules."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

import structlog

from src.application.notifications.delivery import Outgoing, enqueue, push_job
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import PushMessage, PushOutcome, PushResult, PushSubscription
from src.application.shared.jobs import RetryLater
from src.domain.notifications.model import Channel, field_error

logger = structlog.get_logger("casino_club.push")
MAX_PAYLOAD_BYTES = 3000  # one aes128gcm record of 4096 bytes, with room for the header and padding


def _key(value: str, key: str, length: int) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise field_error(key, f"{key} must be URL-safe base64") from exc
    if len(raw) != length or (key == "keys.p256dh" and raw[0] != 4):
        raise field_error(key, f"{key} is not a valid key")
    return value


def _internal(host: str) -> bool:
    """A host the server must not be made to post to (a subscription is any URL a client sends)."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _check_endpoint(endpoint: str, deps: NotificationDeps) -> str:
    """Production takes https URLs of public hosts only; development also takes http and local push services."""
    parts = urlsplit(endpoint)
    local_ok = deps.config.allow_insecure_push_endpoints
    schemes = ("https", "http") if local_ok else ("https",)
    if parts.scheme not in schemes or not parts.hostname or len(endpoint) > 1000:
        raise field_error("endpoint", "endpoint must be an https URL of a push service")
    if not local_ok and _internal(parts.hostname.lower()):
        raise field_error("endpoint", "endpoint must be a public push service")
    return endpoint


async def subscribe(user_id: str, endpoint: str, p256dh: str, auth: str, deps: NotificationDeps) -> PushSubscription:
    subscription = PushSubscription(
        endpoint=_check_endpoint(endpoint, deps),
        user_id=user_id,
        p256dh=_key(p256dh, "keys.p256dh", 65),
        auth=_key(auth, "keys.auth", 16),
        created_at=deps.clock.now(),
    )
    async with deps.uow_factory() as uow:
        await uow.push_subscriptions.upsert(subscription)
        await uow.commit()
    return subscription


async def unsubscribe(user_id: str, endpoint: str, deps: NotificationDeps) -> bool:
    async with deps.uow_factory() as uow:
        removed = await uow.push_subscriptions.delete(endpoint, user_id)
        await uow.commit()
    return removed


async def send_test(user_id: str, deps: NotificationDeps) -> int:
    """A test push to each of the player's subscriptions (settings aside: they asked for it)."""
    async with deps.uow_factory() as uow:
        subscriptions = await uow.push_subscriptions.for_user(user_id)
    message = Outgoing("system", "Test notification", "Push notifications work.", frozenset({Channel.PUSH}))
    test_id = deps.ids.new_id()
    await enqueue(deps, [push_job(test_id, sub.endpoint, user_id, message) for sub in subscriptions])
    return len(subscriptions)


def push_payload(job: dict[str, Any]) -> bytes:
    body = {key: job[key] for key in ("notification_id", "type", "title", "body", "data")}
    encoded = json.dumps(body, separators=(",", ":")).encode()
    if len(encoded) > MAX_PAYLOAD_BYTES:
        body["data"], body["body"] = {}, str(body["body"])[:500]
        encoded = json.dumps(body, separators=(",", ":")).encode()
    return encoded


async def send_push(job: dict[str, Any], deps: NotificationDeps) -> PushOutcome | None:
    """The `send_push` job. 404/410 delete the subscription; 429/5xx ask for a later run (RetryLater) with
    backoff, until NOTIFICATION_MAX_ATTEMPTS; anything else is logged and dropped, as is a push to a player who
    took a time-out or excluded themselves since it was queued."""
    user_id = str(job["user_id"])
    async with deps.uow_factory() as uow:
        subscription = await uow.push_subscriptions.get(str(job["endpoint"]))
        restricted = await uow.limits.restricted_among([user_id], deps.clock.now())
    if subscription is None or subscription.user_id != user_id or restricted:
        return None  # unsubscribed (or passed to another player) or restricted since the push was queued
    message = PushMessage(push_payload(job), deps.config.push_ttl_seconds, deps.config.push_urgency)
    result = await deps.push.send(subscription, message)
    if result.outcome is PushOutcome.GONE:
        async with deps.uow_factory() as uow:
            await uow.push_subscriptions.delete(subscription.endpoint)
            await uow.commit()
    elif result.outcome is PushOutcome.RETRY:
        await _retry_or_give_up(f"push:{job['notification_id']}:{subscription.endpoint}", result, deps)
    elif result.outcome is PushOutcome.REJECTED:
        logger.warning("push service refused the message", status=result.status)
    return result.outcome


async def _retry_or_give_up(key: str, result: PushResult, deps: NotificationDeps) -> None:
    attempts = await deps.cache.incr(f"notifications:attempts:{key}", ttl_seconds=86_400)
    if attempts >= deps.config.max_attempts:
        logger.warning("push gave up after its attempts", status=result.status, attempts=attempts)
        return
    raise RetryLater(deps.config.retry_delay(attempts, result.retry_after_seconds))
