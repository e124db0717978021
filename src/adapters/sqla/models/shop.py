"""Shop tables: the catalog and purchase transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
