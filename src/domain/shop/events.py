"""Shop domain events (written to the outbox with the change they describe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent
from src.domain.shop.transactions import PurchaseTransaction, TxStatus


@dataclass(frozen=True, kw_only=True)
class PurchaseUpdated(DomainEvent):
    """A purchase transaction changed state; `aggregate_id` is the transaction id."""

    event_type: ClassVar[str] = "PurchaseUpdated"
    aggregate_type: ClassVar[str] = "purchase"

    user_id: str
    status: str
    sku: str
    kind: str
    quantity: int
    amount_cents: int
    currency: str
    gems_granted: int
    failure_reason: str | None
    promo_code: str | None = None
    refunded_cents: int = 0
    was_captured: bool = False  # captured at some point (a refund then returns money that was spent)

    @classmethod
    def of(cls, tx: PurchaseTransaction) -> PurchaseUpdated:
        return cls(
            aggregate_id=tx.id,
            occurred_at=tx.updated_at,
            user_id=tx.user_id,
            status=tx.status.value,
            sku=tx.sku,
            kind=tx.kind.value,
            quantity=tx.quantity,
            amount_cents=tx.amount_cents,
            currency=tx.currency,
            gems_granted=tx.gems_granted,
            failure_reason=None if tx.failure_reason is None else tx.failure_reason.value,
            promo_code=tx.promo_code,
            refunded_cents=tx.refunded_cents,
            was_captured=any(change.status is TxStatus.CAPTURED for change in tx.history),
        )
