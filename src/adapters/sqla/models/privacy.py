"""Privacy tables: export and erasure requests (an export's archive stored with it), and erasure tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class PrivacyRequestRow(Base):
    """The archive is a row's column, not a file: every app instance and worker reaches the database, not one
    machine's disk; it is deleted when it expires and when the player is erased."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        Index("ix_privacy_requests_user_id_kind_status", "user_id", "kind", "status"),
        Index("ix_privacy_requests_created_at_id", "created_at", "id"),
        Index("ix_privacy_requests_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # export | erasure
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archive: Mapped[bytes | None] = mapped_column(LargeBinary)  # gzip of one JSON document
    archive_bytes: Mapped[int | None] = mapped_column(BigInteger)


class PrivacyTombstoneRow(Base):
    """An erased player: when it was asked and done, and per table what was deleted or pseudonymized."""

    __tablename__ = "privacy_tombstones"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime)
    record: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
