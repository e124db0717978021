"""A purchase transaction and its state machine: it settles once and never moves backwards."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from src.domain.shared.errors import DomainError, InvalidInput


class TxStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    VOIDED = "voided"
    REFUNDED = "refunded"


class FailureReason(StrEnum):
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    CAPTURE_FAILED = "CAPTURE_FAILED"
    FRAUD_BLOCK = "FRAUD_BLOCK"
    STALE_AUTO_VOID = "STALE_AUTO_VOID"
    PENDING_TIMEOUT = "PENDING_TIMEOUT"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"


class PurchaseKind(StrEnum):
    CATALOG = "catalog"
    LIMITED = "limited"


class GatewayEvent(StrEnum):
    CAPTURED = "charge.captured"
    FAILED = "charge.failed"
    REFUNDED = "charge.refunded"


OPEN = frozenset({TxStatus.PENDING, TxStatus.AUTHORIZED})
COUNTED = frozenset({*OPEN, TxStatus.CAPTURED, TxStatus.REFUNDED})  # spend the purchase limits count (less refunds)
SETTLED = frozenset({TxStatus.CAPTURED, TxStatus.FAILED, TxStatus.VOIDED, TxStatus.REFUNDED})


class IllegalTransition(DomainError):
    code = "ILLEGAL_TRANSITION"
    default_message = "the transaction cannot make this change from its current state"

    def __init__(self, current: TxStatus, target: TxStatus) -> None:
        super().__init__(
            f"a {current} transaction cannot become {target}", details={"from": str(current), "to": str(target)}
        )


@dataclass(frozen=True)
class StatusChange:
    status: TxStatus
    at: datetime
    reason: str | None = None


class RefundSplit(NamedTuple):
    clawed_back: int
    outstanding: int


def refund_split(granted_gems: int, current_gem_balance: int) -> RefundSplit:
    """How a refund reverses a grant without a negative balance.

    The refund always completes. We claw back min(granted, balance) gems through the ledger; what the user
    already spent cannot be taken back and is recorded on the transaction as `outstanding_gems` (a debt the
    records keep, never a negative balance).
    """
    if granted_gems < 0 or current_gem_balance < 0:
        raise InvalidInput("granted gems and the gem balance cannot be negative")
    clawed_back = min(granted_gems, current_gem_balance)
    return RefundSplit(clawed_back, granted_gems - clawed_back)


def key_digest(idempotency_key: str) -> str:
    """What a purchase keeps of the client's Idempotency-Key: its SHA-256, unique per user (one key, one purchase)."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def card_fingerprint(card_token: str) -> str:
    """What we keep of a card token: a SHA-256 digest, enough to count distinct cards, never the token."""
    return hashlib.sha256(card_token.encode()).hexdigest()


@dataclass
class PurchaseTransaction:
    """One purchase. Every transition returns True when it changed the state and False when it was applied before
    (a duplicate webhook or a re-run job); any other change from a settled state raises IllegalTransition."""

    id: str
    user_id: str
    sku: str
    kind: PurchaseKind
    quantity: int
    amount_cents: int
    currency: str
    gems: int
    card_token_fingerprint: str
    promo_code: str | None
    status: TxStatus
    charge_id: str | None
    failure_reason: FailureReason | None
    capture_attempts: int
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = field(default_factory=list)
    gems_granted: int = 0
    refunded_cents: int = 0
    clawed_back_gems: int = 0
    outstanding_gems: int = 0
    idempotency_key_hash: str | None = None

    @classmethod
    def start(
        cls,
        *,
        id: str,
        user_id: str,
        sku: str,
        kind: PurchaseKind,
        quantity: int,
        amount_cents: int,
        currency: str,
        gems: int,
        card_token_fingerprint: str,
        at: datetime,
        promo_code: str | None = None,
        idempotency_key_hash: str | None = None,
    ) -> PurchaseTransaction:
        """A new pending transaction whose history starts with its creation."""
        _require_aware(at)
        if quantity < 1 or amount_cents < 0 or gems < 1:
            raise InvalidInput("quantity and gems must be positive and the amount not negative")
        return cls(
            id=id,
            user_id=user_id,
            sku=sku,
            kind=kind,
            quantity=quantity,
            amount_cents=amount_cents,
            currency=currency,
            gems=gems,
            card_token_fingerprint=card_token_fingerprint,
            promo_code=promo_code,
            status=TxStatus.PENDING,
            charge_id=None,
            failure_reason=None,
            capture_attempts=0,
            created_at=at,
            updated_at=at,
            history=[StatusChange(TxStatus.PENDING, at, "created")],
            idempotency_key_hash=idempotency_key_hash,
        )

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED

    @property
    def payment_key(self) -> str:
        """The gateway's idempotency key: from (user, client key), so no second purchase can make a second charge;
        the transaction id for a purchase made without a key."""
        if self.idempotency_key_hash is None:
            return self.id
        return f"purchase:{self.user_id}:{self.idempotency_key_hash}"

    def authorize(self, charge_id: str, at: datetime, reason: str | None = None) -> bool:
        if self.status is TxStatus.AUTHORIZED and self.charge_id == charge_id:
            return False
        self._require(TxStatus.AUTHORIZED, at, allowed_from={TxStatus.PENDING})
        self.charge_id = charge_id
        self._move(TxStatus.AUTHORIZED, at, reason)
        return True

    def capture(self, at: datetime, reason: str | None = None) -> bool:
        """Authorized (or pending, for a gateway that captures at once) → captured: the gems are granted now."""
        if self.status in (TxStatus.CAPTURED, TxStatus.REFUNDED):
            return False
        self._require(TxStatus.CAPTURED, at, allowed_from=OPEN)
        self.gems_granted = self.gems
        self._move(TxStatus.CAPTURED, at, reason)
        return True

    def fail(self, reason: FailureReason, at: datetime) -> bool:
        """Nothing was granted; a repeat keeps the first reason."""
        return self._close(TxStatus.FAILED, reason, at)

    def void(self, reason: FailureReason, at: datetime) -> bool:
        """The authorization is released (e.g. STALE_AUTO_VOID); nothing was granted."""
        return self._close(TxStatus.VOIDED, reason, at)

    def refund(
        self,
        at: datetime,
        refunded_cents: int,
        clawed_back_gems: int,
        outstanding_gems: int,
        reason: str | None = None,
    ) -> bool:
        """Captured → refunded; the whole grant is reversed: clawed back plus outstanding equals what was granted."""
        if self.status is TxStatus.REFUNDED:
            return False
        self._require(TxStatus.REFUNDED, at, allowed_from={TxStatus.CAPTURED})
        self._check_refund(refunded_cents, clawed_back_gems, outstanding_gems)
        self.refunded_cents = refunded_cents
        self.clawed_back_gems = clawed_back_gems
        self.outstanding_gems = outstanding_gems
        self._move(TxStatus.REFUNDED, at, reason)
        return True

    def record_capture_attempt(self, at: datetime | None = None) -> bool:
        """Counts a capture try of an open transaction; a settled one is left alone (a re-run job)."""
        if self.is_settled:
            return False
        self.capture_attempts += 1
        if at is not None:
            _require_aware(at)
            self.updated_at = at
        return True

    def apply_gateway_event(
        self, kind: str, at: datetime, reason: FailureReason | None = None, split: RefundSplit | None = None
    ) -> bool:
        """A gateway webhook, in any order and any number of times: it only ever moves the transaction forward.

        `split` (from `refund_split`) is required for charge.refunded on a captured transaction. A refund that
        arrives before its capture settles the open transaction as refunded with nothing granted, so a later
        charge.captured cannot grant gems for money already returned.
        """
        event = _gateway_event(kind)
        _require_aware(at)
        if event is GatewayEvent.CAPTURED:
            return not self.is_settled and self.capture(at, reason=event)
        if event is GatewayEvent.FAILED:
            return not self.is_settled and self.fail(reason or FailureReason.PAYMENT_DECLINED, at)
        return self._refund_from_gateway(at, split)

    def _refund_from_gateway(self, at: datetime, split: RefundSplit | None) -> bool:
        if self.status in OPEN:
            self.refunded_cents = self.amount_cents
            self._move(TxStatus.REFUNDED, at, GatewayEvent.REFUNDED)
            return True
        if self.status is not TxStatus.CAPTURED:
            return False
        if split is None:
            raise InvalidInput("a refund of a captured transaction needs the clawback split")
        return self.refund(at, self.amount_cents, split.clawed_back, split.outstanding, reason=GatewayEvent.REFUNDED)

    def _close(self, target: TxStatus, reason: FailureReason, at: datetime) -> bool:
        if self.status is target:
            return False
        self._require(target, at, allowed_from=OPEN)
        self.failure_reason = reason
        self._move(target, at, reason)
        return True

    def _check_refund(self, refunded_cents: int, clawed_back: int, outstanding: int) -> None:
        if not 0 <= refunded_cents <= self.amount_cents:
            raise InvalidInput(f"refunded_cents must be between 0 and {self.amount_cents}")
        if clawed_back < 0 or outstanding < 0 or clawed_back + outstanding != self.gems_granted:
            raise InvalidInput(f"clawed back plus outstanding gems must equal the {self.gems_granted} granted")

    def _require(self, target: TxStatus, at: datetime, allowed_from: set[TxStatus] | frozenset[TxStatus]) -> None:
        _require_aware(at)
        if self.status not in allowed_from:
            raise IllegalTransition(self.status, target)

    def _move(self, target: TxStatus, at: datetime, reason: str | None) -> None:
        self.status = target
        self.updated_at = at
        self.history.append(StatusChange(target, at, None if reason is None else str(reason)))


def _gateway_event(kind: str) -> GatewayEvent:
    try:
        return GatewayEvent(kind)
    except ValueError:
        raise InvalidInput(f"unknown gateway event {kind!r}") from None


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise InvalidInput("a transaction timestamp needs a timezone")
