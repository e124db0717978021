"""Engagement tables: one daily-streak row per player."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import UtcDateTime


class StreakRow(Base):
    __tablename__ = "streaks"
    __table_args__ = (CheckConstraint("count >= 0 AND best >= count", name="counts_valid"),)

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    best: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_tick_date: Mapped[date | None] = mapped_column(Date)  # a calendar day in STREAK_TIMEZONE
    protected_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
