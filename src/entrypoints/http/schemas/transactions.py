"""Wire view of a purchase transaction (the player's own routes and the admin routes share it)."""

from __future__ import annotations

from datetime import datetime

from src.domain.shop.transactions import PurchaseTransaction
from src.entrypoints.http.schemas.identity import Struct


class StatusChangeOut(Struct):
    status: str
    at: datetime
    reason: str | None


class TransactionOut(Struct):
    id: str
    user_id: str
    sku: str
    kind: str
    quantity: int
    amount_cents: int
    currency: str
    gems: int
    status: str
    charge_id: str | None
    failure_reason: str | None
    capture_attempts: int
    gems_granted: int
    refunded_cents: int
    clawed_back_gems: int
    outstanding_gems: int
    promo_code: str | None
    created_at: datetime
    updated_at: datetime
    history: list[StatusChangeOut]

    @classmethod
    def of(cls, tx: PurchaseTransaction) -> TransactionOut:
        return cls(
            id=tx.id,
            user_id=tx.user_id,
            sku=tx.sku,
            kind=tx.kind.value,
            quantity=tx.quantity,
            amount_cents=tx.amount_cents,
            currency=tx.currency,
            gems=tx.gems,
            status=tx.status.value,
            charge_id=tx.charge_id,
            failure_reason=None if tx.failure_reason is None else tx.failure_reason.value,
            capture_attempts=tx.capture_attempts,
            gems_granted=tx.gems_granted,
            refunded_cents=tx.refunded_cents,
            clawed_back_gems=tx.clawed_back_gems,
            outstanding_gems=tx.outstanding_gems,
            promo_code=tx.promo_code,
            created_at=tx.created_at,
            updated_at=tx.updated_at,
            history=[StatusChangeOut(change.status.value, change.at, change.reason) for change in tx.history],
        )
