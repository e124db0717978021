"""Engagement tables: daily streaks and their calendar, VIP running totals and tier history; mission and
achievement definitions and each player's progress."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
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


class MissionDefinitionRow(Base):
    """A mission as data: what it counts (metric, operator, rarity), how far (target), for when (period), its prize."""

    __tablename__ = "mission_definitions"
    __table_args__ = (
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("reward_coins >= 0 AND reward_gems >= 0", name="reward_valid"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    period: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(8))
    rarity: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[int] = mapped_column(BigInteger)
    reward_coins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reward_gems: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reward_item_id: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AchievementDefinitionRow(Base):
    __tablename__ = "achievement_definitions"
    __table_args__ = (
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("reward_coins >= 0 AND reward_gems >= 0", name="reward_valid"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(8))
    rarity: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[int] = mapped_column(BigInteger)
    reward_coins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reward_gems: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reward_item_id: Mapped[str | None] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    auto_claim: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    precondition_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("achievement_definitions.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProgressPlayerRow(Base):
    """One row per player whose progress was counted: locked while a pass counts them, so passes queue."""

    __tablename__ = "progress_players"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProgressEventRow(Base):
    """An event the progress engine counted: a redelivered one finds its row and counts nothing.

    Keyed by (user_id, event_id): an event always carries the same player, and the one index serves both the
    consumer's once-only insert and the player's erasure (and the foreign key's cascade), where an index on each
    cost a second random-leaf insertion per counted event (migration 0028)."""

    __tablename__ = "progress_events"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


# A relay pass updates most of a playing player's progress rows at once: half of each page stays free, so their
# new versions fit on the page and the updates are HOT (at fillfactor 100 most were not; migration 0028)
_UPDATED_PER_PASS = {"postgresql_with": {"fillfactor": 50}}


class MissionProgressRow(Base):
    """A player's count of one mission in one period (the day, the week's Monday, or "once")."""

    __tablename__ = "mission_progress"
    __table_args__ = (
        CheckConstraint("claimed_at IS NULL OR completed_at IS NOT NULL", name="claimed_completed"),
        _UPDATED_PER_PASS,
    )

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(64), ForeignKey("mission_definitions.id"), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    progress: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AchievementProgressRow(Base):
    __tablename__ = "achievement_progress"
    __table_args__ = (
        CheckConstraint("claimed_at IS NULL OR unlocked_at IS NOT NULL", name="claimed_unlocked"),
        _UPDATED_PER_PASS,
    )

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    achievement_id: Mapped[str] = mapped_column(String(64), ForeignKey("achievement_definitions.id"), primary_key=True)
    progress: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    unlocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
