"""Shop tables: the catalog, purchase transactions, promo codes, limited packages and their stock holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class CatalogItemRow(Base):
    __tablename__ = "catalog_items"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), server_default=text("''"))
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    gems: Mapped[int] = mapped_column(Integer)
    min_rank: Mapped[str] = mapped_column(String(16), server_default=text("'STANDARD'"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    discount_percent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    discount_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PurchaseTransactionRow(Base):
    __tablename__ = "purchase_transactions"
    __table_args__ = (
        Index("ix_purchase_transactions_user_id_created_at", "user_id", "created_at"),
        Index("ix_purchase_transactions_status_created_at", "status", "created_at"),
        Index("ix_purchase_transactions_sku_created_at", "sku", "created_at"),
        Index("ix_purchase_transactions_charge_id", "charge_id", unique=True),
        # one client Idempotency-Key opens one purchase per user, for the purchase's whole life
        Index("uq_purchase_transactions_user_key", "user_id", "idempotency_key_hash", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    gems: Mapped[int] = mapped_column(BigInteger)
    card_token_fingerprint: Mapped[str] = mapped_column(String(64))
    promo_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    charge_id: Mapped[str | None] = mapped_column(String(128))
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    capture_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    gems_granted: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    refunded_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    clawed_back_gems: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    outstanding_gems: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # [{"status": "pending", "at": "<ISO 8601>", "reason": "created" | null}, ...], oldest first
    history: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    integrity_hash: Mapped[str | None] = mapped_column(String(96))  # "<key id>:<hex hmac>" of the current state
    idempotency_key_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 hex of the client's key
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PromoCodeRow(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint("used_count >= 0", name="used_count_not_negative"),
        CheckConstraint("max_uses IS NULL OR used_count <= max_uses", name="within_max_uses"),
        Index("ix_promo_codes_created_at_code", "created_at", "code"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    discount_percent: Mapped[int] = mapped_column(Integer)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # reserved + used
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PromoRedemptionRow(Base):
    """One promo use per purchase transaction: reserved while in flight, then used or released."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (Index("ix_promo_redemptions_code_status", "code", "status"),)

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), ForeignKey("promo_codes.code", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LimitedPackageRow(Base):
    __tablename__ = "limited_packages"
    __table_args__ = (
        CheckConstraint("sold >= 0", name="sold_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("sold + held <= max_global_stock", name="not_oversold"),
    )

    package_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), server_default=text("''"))
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    gems: Mapped[int] = mapped_column(Integer)
    min_rank: Mapped[str] = mapped_column(String(16), server_default=text("'STANDARD'"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    max_global_stock: Mapped[int] = mapped_column(Integer)
    per_user_limit: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    held: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StockHoldRow(Base):
    """Stock reserved by one purchase in flight: held, then finalized (sold) or released."""

    __tablename__ = "stock_holds"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_stock_holds_status_expires_at", "status", "expires_at"),
        Index("ix_stock_holds_package_id_user_id", "package_id", "user_id"),
    )

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    package_id: Mapped[str] = mapped_column(String(64), ForeignKey("limited_packages.package_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(36))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LimitedPurchaseCountRow(Base):
    """Per (package, user): quantity captured plus held. One row to lock, so the per-user limit is decided by
    a conditional upsert, across processes."""

    __tablename__ = "limited_purchase_counts"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    package_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("limited_packages.package_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookRequestRow(Base):
    """Every gateway webhook request as it arrived, whatever became of it (audit)."""

    __tablename__ = "webhook_requests"
    __table_args__ = (
        Index("ix_webhook_requests_received_at_id", "received_at", "id"),
        Index("ix_webhook_requests_event_id", "event_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[str | None] = mapped_column(Text)  # the X-Signature header, as sent
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    verdict: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str | None] = mapped_column(String(255))  # as the body claims it, even when rejected


class GatewayEventRow(Base):
    """Gateway event ids already applied: a redelivered event is recognised by its primary key."""

    __tablename__ = "gateway_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(32))
    charge_id: Mapped[str | None] = mapped_column(String(128))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookArrivalRow(Base):
    """Signed messages (timestamp and body) already received: the same bytes sent again are a replay."""

    __tablename__ = "webhook_arrivals"

    signed_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of "<t>.<raw body>"
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
