"""Responsible-gaming limits and restrictions: one row per player who set any."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class PlayerLimitsRow(Base):
    __tablename__ = "player_limits"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    daily_cents: Mapped[int | None] = mapped_column(BigInteger)
    weekly_cents: Mapped[int | None] = mapped_column(BigInteger)
    monthly_cents: Mapped[int | None] = mapped_column(BigInteger)
    play_minutes_daily: Mapped[int | None] = mapped_column(Integer)
    reality_check_minutes: Mapped[int | None] = mapped_column(Integer)
    pending: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)  # [{field, value, effective_at}]
    restriction: Mapped[str | None] = mapped_column(String(16))  # time_out | self_exclusion
    restricted_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PlayTimeRow(Base):
    """A player's active play time today and current sitting (see domain/limits/play_time), kept by each play."""

    __tablename__ = "play_time"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)  # the UTC day active_seconds counts
    active_seconds: Mapped[int] = mapped_column(Integer)
    session_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_play_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checks_sent: Mapped[int] = mapped_column(Integer)  # reality checks of the current sitting
