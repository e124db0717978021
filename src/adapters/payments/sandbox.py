"""A deterministic payment gateway with Stripe-style test card tokens (API.md "Shop and payments").

Its state lives behind the Cache port, so every process on one Redis (app instances, workers) sees the same
charges and capture attempts; the in-memory cache serves the embedded default and unit tests. A charge's record
is written once; each later move is decided by `set_if_absent` on its own key (the first capture, void or failure
wins, and a refund happens once) and capture attempts are counted by `incr`, so concurrent callers in several
processes cannot both win a move. A capture right after its authorization in the same process decides by its
move alone (the charge, which never changes, kept in the process for a minute): one command, as a real gateway's
capture is one call.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass

from src.application.shared.ports import Cache
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
DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600.0
KEPT_CHARGES = 4096  # charges this process authorized lately, kept for their capture
KEPT_CHARGE_SECONDS = 60.0  # a capture this soon after its authorization skips reading the charge

WEBHOOK_KINDS = ("charge.captured", "charge.failed", "charge.refunded")
_SETTLED_BY_WEBHOOK = {
    "charge.captured": (ChargeStatus.CAPTURED, {ChargeStatus.PENDING, ChargeStatus.AUTHORIZED}),
    "charge.failed": (ChargeStatus.FAILED, {ChargeStatus.PENDING, ChargeStatus.AUTHORIZED}),
    "charge.refunded": (ChargeStatus.REFUNDED, {ChargeStatus.CAPTURED}),
}
_OPEN = (ChargeStatus.PENDING, ChargeStatus.AUTHORIZED)
_NOT_CAPTURABLE = {
    ChargeStatus.PENDING: "charge_pending",
    ChargeStatus.VOIDED: "charge_voided",
    ChargeStatus.FAILED: "charge_failed",
    ChargeStatus.REFUNDED: "charge_refunded",
}


@dataclass(frozen=True)
class _Charge:
    """What authorize decided; never changes. Where the charge is now comes from its outcome and refund keys."""

    charge_id: str
    amount_cents: int
    currency: str
    card_token: str

    def same_request(self, amount_cents: int, currency: str, card_token: str) -> bool:
        return (self.amount_cents, self.currency, self.card_token) == (amount_cents, currency, card_token)

    @property
    def opening_status(self) -> ChargeStatus:
        return {
            TOK_CHARGE_DECLINED: ChargeStatus.FAILED,
            TOK_PENDING: ChargeStatus.PENDING,
        }.get(self.card_token, ChargeStatus.AUTHORIZED)

    @property
    def counts_capture_attempts(self) -> bool:
        """Only the retry token's outcome depends on the attempt's number; other tokens' captures count nothing."""
        return self.card_token == TOK_CAPTURE_RETRY

    def capture_fails(self, attempt: int) -> bool:
        return self.card_token == TOK_CAPTURE_FAIL or (
            self.card_token == TOK_CAPTURE_RETRY and attempt <= CAPTURE_RETRY_FAILURES
        )


def _derived_id(prefix: str, *parts: str) -> str:
    """Deterministic ids: the same inputs always name the same charge or event."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class SandboxPaymentGateway:
    """Implements PaymentGateway; `webhook_for` plays the gateway's signed webhook for tests and local runs.

    `capture_delay_seconds` (tests only) makes a capture answer late, after the gateway has decided it: the
    moment a worker can die with the charge captured at the gateway but not yet recorded.
    """

    def __init__(
        self,
        webhook_secret: str,
        cache: Cache,
        clock: Callable[[], float] = time.time,
        *,
        capture_delay_seconds: float = 0.0,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        if not webhook_secret:
            raise ValueError("webhook_secret must not be empty")
        self._secret = webhook_secret.encode()
        self._cache = cache
        self._clock = clock
        self._capture_delay = capture_delay_seconds
        self._ttl = retention_seconds
        # charge id → (the charge, when it was authorized here): a charge's record never changes
        self._authorized_here: OrderedDict[str, tuple[_Charge, float]] = OrderedDict()

    async def authorize(
        self, *, idempotency_key: str, amount_cents: int, currency: str, card_token: str
    ) -> Authorization:
        charge_id = _derived_id("ch_", idempotency_key)
        # a valid new request opens its charge in one command (SET NX); a repeat or an invalid one reads first
        charge = await self._opened(charge_id, amount_cents, currency, card_token) or await self._charge(charge_id)
        if charge is None:
            charge = await self._open_charge(idempotency_key, amount_cents, currency, card_token)
        if not charge.same_request(amount_cents, currency, card_token):
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "idempotency_key_reused")
        authorization = self._authorization_of(charge)
        self._keep(charge)
        return authorization

    async def capture(self, charge_id: str) -> CaptureResult:
        kept = self._kept(charge_id)
        if kept is not None:
            # authorized here a moment ago: the capture's move decides at once; one that lost (a void, a failure or
            # another capture got there first) reads where the charge stands, as below
            won = await self._decide(kept, ChargeStatus.CAPTURED)
            result = CaptureResult(captured=True) if won else await self._capture(kept, await self._status(kept))
        else:
            charge, status = await self._charge_and_status(charge_id)
            if charge is None or status is None:
                return CaptureResult(captured=False, gateway_code="resource_missing")
            result = await self._capture(charge, status)
        if self._capture_delay > 0:
            await asyncio.sleep(self._capture_delay)
        return result

    async def void(self, charge_id: str) -> None:
        charge = await self._known(charge_id, PaymentStage.VOID)
        status = await self._status(charge)
        if status in _OPEN and not await self._decide(charge, ChargeStatus.VOIDED):
            status = await self._status(charge)  # another move won meanwhile
        if status in (ChargeStatus.CAPTURED, ChargeStatus.REFUNDED):
            raise PaymentDeclined(PaymentStage.VOID, "charge_already_captured")

    async def refund(self, charge_id: str, amount_cents: int) -> None:
        charge = await self._known(charge_id, PaymentStage.REFUND)
        status = await self._status(charge)
        if status is ChargeStatus.REFUNDED:
            return
        if status is not ChargeStatus.CAPTURED:
            raise PaymentDeclined(PaymentStage.REFUND, "charge_not_captured")
        if not 0 < amount_cents <= charge.amount_cents:
            raise PaymentDeclined(PaymentStage.REFUND, "invalid_amount")
        await self._cache.set_if_absent(self._refund_key(charge.charge_id), str(amount_cents), self._ttl)

    async def charge_status(self, charge_id: str) -> ChargeStatus:
        _, status = await self._charge_and_status(charge_id)
        return ChargeStatus.UNKNOWN if status is None else status

    async def find_charge(self, idempotency_key: str) -> str | None:
        charge = await self._charge(_derived_id("ch_", idempotency_key))
        return None if charge is None else charge.charge_id

    async def webhook_for(self, charge_id: str, kind: str, event_id: str | None = None) -> tuple[bytes, str]:
        """The gateway settles the charge (when the move is allowed) and returns (raw body, X-Signature value).

        Any known kind is signed, even for an unknown charge or a move the gateway would not make, so tests can
        play stray and out-of-order events. Without `event_id`, the same charge and kind give the same id,
        as a redelivery of one event would.
        """
        if kind not in WEBHOOK_KINDS:
            raise ValueError(f"unknown webhook kind {kind!r}; expected one of {WEBHOOK_KINDS}")
        await self._settle(charge_id, kind)
        created = int(self._clock())
        event = {
            "event_id": event_id or _derived_id("evt_", charge_id, kind),
            "type": kind,
            "charge_id": charge_id,
            "created": created,
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, f"t={created},v1={self._sign(created, body)}"

    def _keep(self, charge: _Charge) -> None:
        kept = self._authorized_here
        kept[charge.charge_id] = (charge, self._clock())
        kept.move_to_end(charge.charge_id)
        while len(kept) > KEPT_CHARGES:
            kept.popitem(last=False)

    def _kept(self, charge_id: str) -> _Charge | None:
        """The charge as authorized here within KEPT_CHARGE_SECONDS, when its capture is decided by one move alone
        (it opened authorized, and its outcome does not depend on the attempt's number or always fails)."""
        kept = self._authorized_here.pop(charge_id, None)
        if kept is None or self._clock() - kept[1] > KEPT_CHARGE_SECONDS:
            return None
        charge = kept[0]
        plain = charge.opening_status is ChargeStatus.AUTHORIZED and not charge.counts_capture_attempts
        return charge if plain and not charge.capture_fails(0) else None

    async def _opened(self, charge_id: str, amount_cents: int, currency: str, card_token: str) -> _Charge | None:
        """The charge a valid request opens now, or None: invalid (left to `_open_charge`'s refusal after the read)
        or opened before (read it)."""
        if (card_token not in APPROVING_TOKENS and card_token != TOK_CHARGE_DECLINED) or amount_cents <= 0:
            return None
        charge = _Charge(charge_id, amount_cents, currency, card_token)
        record = json.dumps(asdict(charge), separators=(",", ":"))
        return charge if await self._cache.set_if_absent(self._charge_key(charge_id), record, self._ttl) else None

    async def _open_charge(self, key: str, amount_cents: int, currency: str, card_token: str) -> _Charge:
        if card_token not in APPROVING_TOKENS and card_token != TOK_CHARGE_DECLINED:
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "invalid_token")
        if amount_cents <= 0:
            raise PaymentDeclined(PaymentStage.AUTHORIZE, "invalid_amount")
        charge = _Charge(_derived_id("ch_", key), amount_cents, currency, card_token)
        record = json.dumps(asdict(charge), separators=(",", ":"))
        if await self._cache.set_if_absent(self._charge_key(charge.charge_id), record, self._ttl):
            return charge
        return await self._known(charge.charge_id, PaymentStage.AUTHORIZE)  # a concurrent call opened it first

    async def _capture(self, charge: _Charge, status: ChargeStatus) -> CaptureResult:
        if status is ChargeStatus.CAPTURED:
            return CaptureResult(captured=True)
        if status in _NOT_CAPTURABLE:
            return CaptureResult(captured=False, gateway_code=_NOT_CAPTURABLE[status])
        attempt = 0
        if charge.counts_capture_attempts:  # one command less for every other token's capture
            attempt = await self._cache.incr(self._attempts_key(charge.charge_id), ttl_seconds=self._ttl)
        if charge.capture_fails(attempt):
            return CaptureResult(captured=False, gateway_code="capture_failed")
        if await self._decide(charge, ChargeStatus.CAPTURED):
            return CaptureResult(captured=True)
        status = await self._status(charge)  # a void, a failure or another capture won meanwhile
        if status is ChargeStatus.CAPTURED:
            return CaptureResult(captured=True)
        return CaptureResult(captured=False, gateway_code=_NOT_CAPTURABLE.get(status, "capture_failed"))

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

    async def _charge(self, charge_id: str) -> _Charge | None:
        record = await self._cache.get(self._charge_key(charge_id))
        return None if record is None else _Charge(**json.loads(record))

    async def _known(self, charge_id: str, stage: PaymentStage) -> _Charge:
        charge = await self._charge(charge_id)
        if charge is None:
            raise PaymentDeclined(stage, "resource_missing")
        return charge

    async def _charge_and_status(self, charge_id: str) -> tuple[_Charge | None, ChargeStatus | None]:
        """The charge and where it stands, read at once (one MGET: one consistent moment)."""
        record, refund, outcome = await self._cache.get_many(
            [self._charge_key(charge_id), self._refund_key(charge_id), self._outcome_key(charge_id)]
        )
        if record is None:
            return None, None
        charge = _Charge(**json.loads(record))
        if refund is not None:
            return charge, ChargeStatus.REFUNDED
        return charge, charge.opening_status if outcome is None else ChargeStatus(outcome)

    async def _status(self, charge: _Charge) -> ChargeStatus:
        """Refund and outcome read at once (one MGET: a refund only follows a capture)."""
        refund, outcome = await self._cache.get_many(
            [self._refund_key(charge.charge_id), self._outcome_key(charge.charge_id)]
        )
        if refund is not None:
            return ChargeStatus.REFUNDED
        return charge.opening_status if outcome is None else ChargeStatus(outcome)

    async def _decide(self, charge: _Charge, outcome: ChargeStatus) -> bool:
        """Move an open charge to captured, voided or failed; False when another move got there first."""
        return await self._cache.set_if_absent(self._outcome_key(charge.charge_id), outcome.value, self._ttl)

    async def _settle(self, charge_id: str, kind: str) -> None:
        charge = await self._charge(charge_id)
        target, allowed_from = _SETTLED_BY_WEBHOOK[kind]
        if charge is None or await self._status(charge) not in allowed_from:
            return
        if target is ChargeStatus.REFUNDED:
            await self._cache.set_if_absent(self._refund_key(charge_id), str(charge.amount_cents), self._ttl)
        else:
            await self._decide(charge, target)

    @staticmethod
    def _charge_key(charge_id: str) -> str:
        return f"sandbox:charge:{charge_id}"

    @staticmethod
    def _outcome_key(charge_id: str) -> str:
        return f"sandbox:outcome:{charge_id}"

    @staticmethod
    def _refund_key(charge_id: str) -> str:
        return f"sandbox:refund:{charge_id}"

    @staticmethod
    def _attempts_key(charge_id: str) -> str:
        return f"sandbox:captures:{charge_id}"

    def _sign(self, timestamp: int, body: bytes) -> str:
        return hmac.new(self._secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
