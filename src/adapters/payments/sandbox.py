"""A deterministic, in-memory payment gateway with Stripe-style test card tokens (API.md "Shop and payments").

State lives in the instance: with several processes each has its own sandbox, so a charge authorized in one
is unknown to another. A Redis-backed state could later share it; for now the sandbox is single-process.
No method awaits between reading and writing its state, so concurrent calls on one event loop are atomic.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from src.application.shop.payments import (
    Authorization,
    AuthorizationStatus,
    CaptureResult,
    ChargeStatus,
    GatewayTimeout,
    PaymentDeclined,
    PaymentStage,
)

TOK_VISA = "tok_visa"
TOK_CHARGE_DECLINED = "tok_chargeDeclined"
TOK_CAPTURE_FAIL = "tok_captureFail"
TOK_CAPTURE_RETRY = "tok_captureRetry"
TOK_PENDING = "tok_pending"
TOK_TIMEOUT = "tok_timeout"
APPROVING_TOKENS = frozenset({TOK_VISA, TOK_CAPTURE_FAIL, TOK_CAPTURE_RETRY, TOK_PENDING, TOK_TIMEOUT})
CAPTURE_RETRY_FAILURES = 2

WEBHOOK_KINDS = ("charge.captured", "charge.failed", "charge.refunded")
_SETTLED_BY_WEBHOOK = {
    "charge.captured": (ChargeStatus.CAPTURED, {ChargeStatus.PENDING, ChargeStatus.AUTHORIZED}),
    "charge.failed": (ChargeStatus.FAILED, {ChargeStatus.PENDING, ChargeStatus.AUTHORIZED}),
    "charge.refunded": (ChargeStatus.REFUNDED, {ChargeStatus.CAPTURED}),
}
_NOT_CAPTURABLE = {
    ChargeStatus.PENDING: "charge_pending",
    ChargeStatus.VOIDED: "charge_voided",
    ChargeStatus.FAILED: "charge_failed",
    ChargeStatus.REFUNDED: "charge_refunded",
}


@dataclass
class _Charge:
    charge_id: str
    amount_cents: int
    currency: str
    card_token: str
    status: ChargeStatus
    capture_attempts: int = 0
    refunded_cents: int = 0

    def same_request(self, amount_cents: int, currency: str, card_token: str) -> bool:
        return (self.amount_cents, self.currency, self.card_token) == (amount_cents, currency, card_token)


def _derived_id(prefix: str, *parts: str) -> str:
    """Deterministic ids: the same inputs always name the same charge or event."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class SandboxPaymentGateway:
    """Implements PaymentGateway; `webhook_for` plays the gateway's signed webhook for tests and local runs."""

    def __init__(self, webhook_secret: str, clock: Callable[[], float] = time.time) -> None:
        if not webhook_secret:
            raise ValueError("webhook_secret must not be empty")
        self._secret = webhook_secret.encode()
        self._clock = clock
        self._charges: dict[str, _Charge] = {}
        self._by_key: dict[str, _Charge] = {}

    async def authorize(
        self, *, idempotency_key: str, amount_cents: int, currency: str, card_token: str
    ) -> Authorization:
        charge = self._by_key.get(idempotency_key)
        if charge is None:
            charge = self._open_charge(idempotency_key, amount_cents, currency, card_token)
        elif not charge.same_request(amount_cents, currency, card_token):
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "idempotency_key_reused")
        return self._authorization_of(charge)

    async def capture(self, charge_id: str) -> CaptureResult:
        charge = self._charges.get(charge_id)
        if charge is None:
            return CaptureResult(captured=False, gateway_code="resource_missing")
        if charge.status is ChargeStatus.CAPTURED:
            return CaptureResult(captured=True)
        if charge.status in _NOT_CAPTURABLE:
            return CaptureResult(captured=False, gateway_code=_NOT_CAPTURABLE[charge.status])
        charge.capture_attempts += 1
        if charge.card_token == TOK_CAPTURE_FAIL or (
            charge.card_token == TOK_CAPTURE_RETRY and charge.capture_attempts <= CAPTURE_RETRY_FAILURES
        ):
            return CaptureResult(captured=False, gateway_code="capture_failed")
        charge.status = ChargeStatus.CAPTURED
        return CaptureResult(captured=True)

    async def void(self, charge_id: str) -> None:
        charge = self._known(charge_id, PaymentStage.VOID)
        if charge.status in (ChargeStatus.CAPTURED, ChargeStatus.REFUNDED):
            raise PaymentDeclined(PaymentStage.VOID, "charge_already_captured")
        if charge.status in (ChargeStatus.PENDING, ChargeStatus.AUTHORIZED):
            charge.status = ChargeStatus.VOIDED

    async def refund(self, charge_id: str, amount_cents: int) -> None:
        charge = self._known(charge_id, PaymentStage.REFUND)
        if charge.status is ChargeStatus.REFUNDED:
            return
        if charge.status is not ChargeStatus.CAPTURED:
            raise PaymentDeclined(PaymentStage.REFUND, "charge_not_captured")
        if not 0 < amount_cents <= charge.amount_cents:
            raise PaymentDeclined(PaymentStage.REFUND, "invalid_amount")
        charge.refunded_cents = amount_cents
        charge.status = ChargeStatus.REFUNDED

    async def charge_status(self, charge_id: str) -> ChargeStatus:
        charge = self._charges.get(charge_id)
        return ChargeStatus.UNKNOWN if charge is None else charge.status

    async def find_charge(self, idempotency_key: str) -> str | None:
        charge = self._by_key.get(idempotency_key)
        return None if charge is None else charge.charge_id

    def webhook_for(self, charge_id: str, kind: str, event_id: str | None = None) -> tuple[bytes, str]:
        """The gateway settles the charge (when the move is allowed) and returns (raw body, X-Signature value).

        Any known kind is signed, even for an unknown charge or a move the gateway would not make, so tests can
        play stray and out-of-order events. Without `event_id`, the same charge and kind give the same id,
        as a redelivery of one event would.
        """
        if kind not in WEBHOOK_KINDS:
            raise ValueError(f"unknown webhook kind {kind!r}; expected one of {WEBHOOK_KINDS}")
        self._settle(charge_id, kind)
        created = int(self._clock())
        event = {
            "event_id": event_id or _derived_id("evt_", charge_id, kind),
            "type": kind,
            "charge_id": charge_id,
            "created": created,
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, f"t={created},v1={self._sign(created, body)}"

    def _open_charge(self, key: str, amount_cents: int, currency: str, card_token: str) -> _Charge:
        if card_token not in APPROVING_TOKENS and card_token != TOK_CHARGE_DECLINED:
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "invalid_token")
        if amount_cents <= 0:
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "invalid_amount")
        status = {
            TOK_CHARGE_DECLINED: ChargeStatus.FAILED,
            TOK_PENDING: ChargeStatus.PENDING,
        }.get(card_token, ChargeStatus.AUTHORIZED)
        charge = _Charge(_derived_id("ch_", key), amount_cents, currency, card_token, status)
        self._charges[charge.charge_id] = charge
        self._by_key[key] = charge
        return charge

    @staticmethod
    def _authorization_of(charge: _Charge) -> Authorization:
        """Replays answer as the first call did: a declined key stays declined, a timed-out token keeps timing out."""
        if charge.card_token == TOK_CHARGE_DECLINED:
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "card_declined")
        if charge.card_token == TOK_TIMEOUT:
            raise GatewayTimeout()
        if charge.card_token == TOK_PENDING:
            return Authorization(charge.charge_id, AuthorizationStatus.PENDING)
        return Authorization(charge.charge_id, AuthorizationStatus.APPROVED)

    def _known(self, charge_id: str, stage: PaymentStage) -> _Charge:
        charge = self._charges.get(charge_id)
        if charge is None:
            raise PaymentDeclined(stage, "resource_missing")
        return charge

    def _settle(self, charge_id: str, kind: str) -> None:
        charge = self._charges.get(charge_id)
        target, allowed_from = _SETTLED_BY_WEBHOOK[kind]
        if charge is not None and charge.status in allowed_from:
            charge.status = target
            if target is ChargeStatus.REFUNDED:
                charge.refunded_cents = charge.amount_cents

    def _sign(self, timestamp: int, body: bytes) -> str:
        return hmac.new(self._secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
