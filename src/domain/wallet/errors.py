from __future__ import annotations

from src.domain.shared.errors import DomainError


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"
    default_message = "not enough funds"

    def __init__(self, currency: str, required: int) -> None:
        super().__init__(f"not enough {currency}", details={"currency": currency, "required": required})


class AlreadyApplied(DomainError):
    """This exact movement (same reason and reference) is already in the ledger."""

    code = "ALREADY_APPLIED"
    default_message = "this change was already applied"
