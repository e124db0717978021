"""Shop tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import UtcDateTime


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
