"""The transactional outbox: events written with the change they describe, relayed later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import BigIntPrimaryKey, JsonDocument, UtcDateTime


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_published_at_position", "published_at", "position"),
        # the analytics exporter's lag: rows the relay published and it has not exported (its cursor is apart from
        # the relay's; its backlog is these and the unpublished rows not exported, found on the index above)
        Index(
            "ix_outbox_export_lag",
            "position",
            postgresql_where=text("published_at IS NOT NULL AND exported_at IS NULL"),
            sqlite_where=text("published_at IS NOT NULL AND exported_at IS NULL"),
        ),
    )

    # commit order is delivery order: the relay reads unpublished rows by position
    position: Mapped[int] = mapped_column(BigIntPrimaryKey, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
