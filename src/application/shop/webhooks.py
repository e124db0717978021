"""The gateway's signed payment webhook: verify, keep the raw request, apply each event once and only forward.

Every request is stored with its verdict. A rejected one is stored in a unit of work of its own (the refusal
rolls nothing else back); an accepted one in the same unit of work as its effect, so both happen or neither.
Two kinds of repeat: the very same signed bytes again is a replay (409), while the gateway's redelivery of an
event, signed anew, is a duplicate (200, no effect).
The transaction state machine decides what an event may still change: a late or out-of-order event never
moves a settled transaction backwards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from src.application.shared.json_nesting import MAX_JSON_DEPTH, nests_within
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shop.deps import PurchaseDeps
from src.application.shop.ports import PurchaseUnitOfWork, WebhookRequest
from src.application.shop.refunds import refund_from_gateway
from src.application.shop.settlement import settle_captured, settle_unsuccessful
from src.domain.shared.errors import InvalidInput
from src.domain.shop.transactions import FailureReason, GatewayEvent, PurchaseTransaction, TxStatus
from src.domain.shop.webhooks import DEFAULT_TOLERANCE_SECONDS, WebhookReplay, WebhookSignatureInvalid, verify

MAX_EVENT_ID_LENGTH = 255
MAX_CHARGE_ID_LENGTH = 128
_BODY_FIELD = {"fields": [{"key": "body"}]}


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # applied, or a no-op the state machine chose (a late event)
    DUPLICATE = "duplicate"  # this event id was applied before
    UNKNOWN_CHARGE = "unknown_charge"  # no transaction has this charge; not remembered, so a redelivery retries
    IGNORED = "ignored"  # an event type we do not act on
    SIGNATURE_INVALID = "signature_invalid"
    REPLAY = "replay"  # older than the tolerance, or the very same signed request again
    MALFORMED = "malformed"
    ERROR = "error"  # applying it failed; nothing changed and the gateway will redeliver


@dataclass(frozen=True)
class PaymentWebhook:
    raw_body: bytes
    signature: str | None  # the X-Signature header


@dataclass(frozen=True)
class WebhookOutcome:
    verdict: Verdict
    applied: bool  # the transaction changed

    @property
    def duplicate(self) -> bool:
        return self.verdict is Verdict.DUPLICATE


@dataclass(frozen=True)
class GatewayNotice:
    event_id: str
    kind: str
    charge_id: str | None


async def handle_payment_webhook(hook: PaymentWebhook, deps: PurchaseDeps) -> WebhookOutcome:
    """Raises WebhookSignatureInvalid, WebhookReplay (too old, or these very bytes seen before) or InvalidInput
    (malformed body), each after storing the request."""
    received_at = deps.clock.now()
    try:
        timestamp = verify(hook.signature, hook.raw_body, deps.config.webhook_secrets, int(received_at.timestamp()))
        notice = parse_notice(hook.raw_body)
        return await _apply(hook, notice, signed_key(timestamp, hook.raw_body), received_at, deps)
    except Exception as failure:
        await _store_alone(hook, received_at, _verdict_of(failure), deps)
        raise


def signed_key(timestamp: int, raw_body: bytes) -> str:
    """What the signature covers, as a digest: the same key is the same signed message sent again."""
    return hashlib.sha256(str(timestamp).encode() + b"." + raw_body).hexdigest()


async def forget_old_arrivals(deps: PurchaseDeps) -> int:
    """Periodic: a signed arrival older than twice the tolerance can no longer be replayed inside the window
    (a timestamp may lead or lag the clock by the tolerance), so its replay marker can go."""
    cutoff = deps.clock.now() - timedelta(seconds=2 * DEFAULT_TOLERANCE_SECONDS)
    async with deps.uow_factory() as uow:
        forgotten = await uow.webhooks.forget_arrivals_before(cutoff)
        await uow.commit()
    return forgotten


async def list_webhook_requests(
    event_id: str | None, limit: int | None, cursor: str | None, deps: PurchaseDeps
) -> Page[WebhookRequest]:
    """The audit trail, newest first: what arrived, byte for byte, and what we made of it."""
    async with deps.uow_factory() as uow:
        return await uow.webhooks.list_requests(check_limit(limit), decode_cursor(cursor), event_id=event_id)


def parse_notice(raw_body: bytes) -> GatewayNotice:
    """`{"event_id", "type", "charge_id", …}`; other fields are the gateway's business."""
    if not nests_within(raw_body):
        raise InvalidInput(f"the webhook body nests deeper than {MAX_JSON_DEPTH} levels", details=_BODY_FIELD)
    try:
        document = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the webhook body is not JSON", details=_BODY_FIELD) from exc
    if not isinstance(document, dict):
        raise InvalidInput("the webhook body must be a JSON object", details=_BODY_FIELD)
    event_id = _text(document, "event_id", MAX_EVENT_ID_LENGTH)
    kind = _text(document, "type", 64)
    known = kind in {event.value for event in GatewayEvent}
    charge_id = _text(document, "charge_id", MAX_CHARGE_ID_LENGTH) if known else None
    return GatewayNotice(event_id, kind, charge_id)


def _text(document: dict[str, Any], key: str, max_length: int) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise InvalidInput(f"{key} must be a string of 1-{max_length} characters", details={"fields": [{"key": key}]})
    return value


def _verdict_of(failure: Exception) -> Verdict:
    if isinstance(failure, WebhookSignatureInvalid):
        return Verdict.SIGNATURE_INVALID
    if isinstance(failure, WebhookReplay):
        return Verdict.REPLAY
    if isinstance(failure, InvalidInput):
        return Verdict.MALFORMED
    return Verdict.ERROR


def claimed_event_id(raw_body: bytes) -> str | None:
    """What an unverified body says its event id is (kept for audit only, never trusted)."""
    if not nests_within(raw_body):
        return None
    try:
        document = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = document.get("event_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) and 1 <= len(value) <= MAX_EVENT_ID_LENGTH else None


async def _store_alone(hook: PaymentWebhook, received_at: datetime, verdict: Verdict, deps: PurchaseDeps) -> None:
    async with deps.uow_factory() as uow:
        event_id = claimed_event_id(hook.raw_body)
        await uow.webhooks.record_request(received_at, hook.signature, hook.raw_body, verdict, event_id)
        await uow.commit()


async def _apply(
    hook: PaymentWebhook, notice: GatewayNotice, key: str, received_at: datetime, deps: PurchaseDeps
) -> WebhookOutcome:
    async with deps.uow_factory() as uow:
        if not await uow.webhooks.first_arrival(key, received_at):
            raise WebhookReplay("this signed request was received before", details={"event_id": notice.event_id})
        outcome = await _decide(uow, notice, deps)
        await uow.webhooks.record_request(received_at, hook.signature, hook.raw_body, outcome.verdict, notice.event_id)
        await uow.commit()
    return outcome


async def _decide(uow: PurchaseUnitOfWork, notice: GatewayNotice, deps: PurchaseDeps) -> WebhookOutcome:
    if notice.charge_id is None:
        return WebhookOutcome(Verdict.IGNORED, applied=False)
    found = await uow.transactions.get_by_charge(notice.charge_id)
    if found is None:
        return WebhookOutcome(Verdict.UNKNOWN_CHARGE, applied=False)
    tx = await uow.transactions.get_for_update(found.id)  # lock first: every writer of a transaction queues here
    if tx is None:
        return WebhookOutcome(Verdict.UNKNOWN_CHARGE, applied=False)
    if not await uow.webhooks.first_delivery(notice.event_id, notice.kind, notice.charge_id, deps.clock.now()):
        return WebhookOutcome(Verdict.DUPLICATE, applied=False)
    return WebhookOutcome(Verdict.ACCEPTED, applied=await _drive(uow, tx, GatewayEvent(notice.kind), deps))


async def _drive(uow: PurchaseUnitOfWork, tx: PurchaseTransaction, event: GatewayEvent, deps: PurchaseDeps) -> bool:
    """Each path returns False, changing nothing, when the transaction is already past what the event says."""
    if event is GatewayEvent.CAPTURED:
        return await settle_captured(uow, tx, deps, event.value)
    if event is GatewayEvent.FAILED:
        return await settle_unsuccessful(uow, tx, deps, TxStatus.FAILED, FailureReason.PAYMENT_DECLINED)
    return await refund_from_gateway(uow, tx, deps)
