"""Tracked player actions, kept for `GET /api/actions/recent` (the OLAP store has them through the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class PlayerActionRow(Base):
    __tablename__ = "player_actions"
    __table_args__ = (
        Index("ix_player_actions_user_id_tracked_at", "user_id", "tracked_at", "action_id"),
        Index("ix_player_actions_tracked_at", "tracked_at"),
    )

    action_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    action_type: Mapped[str] = mapped_column(String(80))
    context: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    client_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tracked_at: Mapped[datetime] = mapped_column(UtcDateTime)
