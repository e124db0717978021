"""Engagement tables: daily streaks and their calendar, VIP running totals and tier history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
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


class StreakDayRow(Base):
    """The attendance calendar: one row per fact (a ticked day, a day a protection forgave)."""

    __tablename__ = "streak_days"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # a calendar day in STREAK_TIMEZONE
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # ticked | protected


class VipTotalsRow(Base):
    """VIP running totals, added to by the upgrade consumer a relay pass at a time (no foreign key: a pass must
    never fail on an erased player's late event)."""

    __tablename__ = "vip_totals"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    spent_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    activity_points: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    earned_tier: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VipTierChangeRow(Base):
    """A change of a stored VIP tier, from the AccountUpdated event that told of it (its id keeps it once)."""

    __tablename__ = "vip_tier_changes"
    __table_args__ = (Index("ix_vip_tier_changes_user_changed", "user_id", "changed_at", "event_id"),)

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    from_tier: Mapped[int | None] = mapped_column(Integer)
    to_tier: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))  # earned | admin
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
