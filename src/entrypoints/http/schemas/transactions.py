"""Wire formats of purchase transactions (player and admin views), refunds and the gateway webhook's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from src.application.shop.ports import WebhookRequest
from src.application.shop.refunds import RefundResult
from src.application.shop.webhooks import WebhookOutcome
from src.domain.shop.transactions import PurchaseTransaction, StatusChange
from src.entrypoints.http.schemas.identity import Struct


class StatusChangeOut(Struct):
    status: str
    at: datetime
    reason: str | None

    @classmethod
    def of(cls, change: StatusChange) -> StatusChangeOut:
        return cls(status=change.status.value, at=change.at, reason=change.reason)


class TransactionOut(Struct):
    """A purchase as its owner and admins see it: what was bought, where it stands, and how it got there."""

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
            history=[StatusChangeOut.of(change) for change in tx.history],
        )


class RefundIn(Struct):
    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class RefundOut(Struct):
    """`clawed_back_gems` left the wallet; `outstanding_gems` had been spent and stays recorded as owed."""

    transaction_id: str
    status: str
    refunded_cents: int
    currency: str
    gems_granted: int
    clawed_back_gems: int
    outstanding_gems: int
    new_gem_balance: int
    transaction: TransactionOut

    @classmethod
    def of(cls, result: RefundResult) -> RefundOut:
        tx = result.transaction
        return cls(
            transaction_id=tx.id,
            status=tx.status.value,
            refunded_cents=tx.refunded_cents,
            currency=tx.currency,
            gems_granted=tx.gems_granted,
            clawed_back_gems=tx.clawed_back_gems,
            outstanding_gems=tx.outstanding_gems,
            new_gem_balance=result.gem_balance,
            transaction=TransactionOut.of(tx),
        )


class WebhookAckOut(Struct):
    """What the gateway gets back: 200 means do not redeliver. `duplicate` says the event id was seen before."""

    received: bool
    duplicate: bool
    applied: bool
    verdict: str

    @classmethod
    def of(cls, outcome: WebhookOutcome) -> WebhookAckOut:
        return cls(received=True, duplicate=outcome.duplicate, applied=outcome.applied, verdict=outcome.verdict.value)


class WebhookRequestOut(Struct):
    """One stored webhook request; `raw_body` is base64 (the bytes as they arrived, even when not UTF-8)."""

    id: str
    received_at: datetime
    verdict: str
    event_id: str | None
    signature: str | None
    raw_body: bytes

    @classmethod
    def of(cls, request: WebhookRequest) -> WebhookRequestOut:
        return cls(
            id=request.id,
            received_at=request.received_at,
            verdict=request.verdict,
            event_id=request.event_id,
            signature=request.signature,
            raw_body=request.raw_body,
        )
