"""The payment gateway port: authorize, capture, void, refund, and what reconciliation needs after a timeout."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from src.domain.shared.errors import DomainError


class AuthorizationStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"  # settles later, through the gateway's signed webhook


class ChargeStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    FAILED = "failed"
    UNKNOWN = "unknown"


class PaymentStage(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


@dataclass(frozen=True)
class Authorization:
    charge_id: str
    status: AuthorizationStatus


@dataclass(frozen=True)
class CaptureResult:
    captured: bool
    gateway_code: str | None = None


class PaymentDeclined(DomainError):
    """The gateway refused; `details` says at which stage and with which gateway code."""

    code = "PAYMENT_FAILED"
    default_message = "the payment was declined"

    def __init__(self, stage: PaymentStage, gateway_code: str | None, message: str | None = None) -> None:
        super().__init__(message, details={"stage": stage.value, "gateway_code": gateway_code})
        self.stage = stage
        self.gateway_code = gateway_code


class GatewayTimeout(DomainError):
    """The gateway did not answer in time: the outcome is unknown, so never treat it as success; reconcile."""

    code = "GATEWAY_TIMEOUT"
    default_message = "the payment gateway did not answer in time"


class PaymentGateway(Protocol):
    async def authorize(
        self, *, idempotency_key: str, amount_cents: int, currency: str, card_token: str
    ) -> Authorization:
        """One charge per idempotency key: a replay returns the same charge (or the same decline), never a new one.

        Reusing a key with other parameters is declined (gateway_code "idempotency_key_reused").
        Raises PaymentDeclined or GatewayTimeout.
        """
        ...

    async def capture(self, charge_id: str) -> CaptureResult:
        """A failed capture is an answer (captured=False and a gateway_code), not an error; capturing twice is a no-op.

        Raises GatewayTimeout.
        """
        ...

    async def void(self, charge_id: str) -> None:
        """Releases an authorization; idempotent. Raises PaymentDeclined for a captured or unknown charge."""
        ...

    async def refund(self, charge_id: str, amount_cents: int) -> None:
        """Refunds a captured charge once; later calls are no-ops. Raises PaymentDeclined if it was never captured."""
        ...

    async def charge_status(self, charge_id: str) -> ChargeStatus:
        """Where the gateway says the charge is; `unknown` for a charge it never saw."""
        ...

    async def find_charge(self, idempotency_key: str) -> str | None:
        """The charge created under this idempotency key, if any: how a timed-out authorize is reconciled."""
        ...
