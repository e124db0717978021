"""Shop refusals that are not about one rule module (promos and limited packages keep their own)."""

from __future__ import annotations

from src.domain.shared.errors import DomainError
from src.domain.shop.transactions import TxStatus


class NotRefundable(DomainError):
    """Only a captured purchase can be refunded (a refunded one answers its refund again)."""

    code = "NOT_REFUNDABLE"
    default_message = "only a captured transaction can be refunded"

    def __init__(self, status: TxStatus) -> None:
        super().__init__(f"a {status} transaction cannot be refunded", details={"status": status.value})


class PurchaseKeyTaken(DomainError):
    """The user's Idempotency-Key already opened a purchase (a concurrent request won the unique key)."""

    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = "a request with this Idempotency-Key is still being processed"
