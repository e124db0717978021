"""Small builders for shop domain tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.domain.shop.transactions import (
    FailureReason,
    PurchaseKind,
    PurchaseTransaction,
    TxStatus,
    card_fingerprint,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GEMS = 500
AMOUNT_CENTS = 499


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pending_tx() -> PurchaseTransaction:
    return PurchaseTransaction.start(
        id="tx1",
        user_id="u1",
        sku="gems_500",
        kind=PurchaseKind.CATALOG,
        quantity=1,
        amount_cents=AMOUNT_CENTS,
        currency="USD",
        gems=GEMS,
        card_token_fingerprint=card_fingerprint("tok_visa"),
        at=T0,
    )


def tx_in(status: TxStatus) -> PurchaseTransaction:
    """A transaction brought to `status` through the legal path."""
    tx = pending_tx()
    if status is TxStatus.PENDING:
        return tx
    if status is TxStatus.FAILED:
        tx.fail(FailureReason.PAYMENT_DECLINED, at(1))
        return tx
    if status is TxStatus.VOIDED:
        tx.void(FailureReason.STALE_AUTO_VOID, at(1))
        return tx
    tx.authorize("ch_1", at(1))
    if status in (TxStatus.CAPTURED, TxStatus.REFUNDED):
        tx.capture(at(2))
    if status is TxStatus.REFUNDED:
        tx.refund(at(3), AMOUNT_CENTS, GEMS, 0)
    return tx
