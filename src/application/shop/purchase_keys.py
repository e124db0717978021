"""One Idempotency-Key, one purchase, for the purchase's whole life.

The key's hash is stored on the transaction, unique per user. A request whose key already opened a purchase (a
retry after the HTTP idempotency record was abandoned by a dead process or expired, or a concurrent request) never
opens a second one: it gets that purchase's current state, or the refusal the purchase ended with.
"""

from __future__ import annotations

from src.application.shared.idempotency import IdempotencyKeyReused
from src.application.shop.fraud import FraudBlocked
from src.application.shop.payments import PaymentDeclined, PaymentStage
from src.domain.shared.errors import DomainError
from src.domain.shop.transactions import FailureReason, PurchaseKind, PurchaseTransaction, TxStatus

_STAGE_OF_FAILURE = {
    FailureReason.PAYMENT_DECLINED: (PaymentStage.AUTHORIZE, "card_declined"),
    FailureReason.CAPTURE_FAILED: (PaymentStage.CAPTURE, "capture_failed"),
}


def check_same_purchase(
    tx: PurchaseTransaction, kind: PurchaseKind, offer_id: str, quantity: int, card_fingerprint: str
) -> None:
    """The key's purchase must be what this request asks for (the price may have changed since: not compared)."""
    asked = (kind, offer_id, quantity, card_fingerprint)
    if (tx.kind, tx.sku, tx.quantity, tx.card_token_fingerprint) != asked:
        raise IdempotencyKeyReused("this Idempotency-Key already made a different purchase")


def was_paid(tx: PurchaseTransaction) -> bool:
    """Captured, or refunded after its gems were granted: the first answer was a captured purchase."""
    return tx.status is TxStatus.CAPTURED or (tx.status is TxStatus.REFUNDED and tx.gems_granted > 0)


def final_refusal(tx: PurchaseTransaction) -> DomainError | None:
    """What a purchase that settled without being paid answers a retry of its key; None while open or paid."""
    if not tx.is_settled or was_paid(tx):
        return None
    if tx.failure_reason is FailureReason.FRAUD_BLOCK:
        return FraudBlocked()
    stage, code = _STAGE_OF_FAILURE.get(
        tx.failure_reason or FailureReason.CAPTURE_FAILED,
        (PaymentStage.CAPTURE, (tx.failure_reason or tx.status).lower()),
    )
    return PaymentDeclined(stage, code)
