"""LiveOps segment tables: per-player profiles (the recompute's output), segments, memberships, their history, and
recompute jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import BigIntPrimaryKey, JsonDocument, UtcDateTime


class PlayerProfileRow(Base):
    """What segment rules read, one row per active player, as of `computed_at` (src/domain/liveops/rfm.py)."""

    __tablename__ = "player_profiles"
    __table_args__ = (Index("ix_player_profiles_rfm", "rfm"),)

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[str] = mapped_column(String(16))
    vip_tier: Mapped[int] = mapped_column(Integer)
    streak: Mapped[int] = mapped_column(Integer)
    rfm: Mapped[str] = mapped_column(String(16))
    ltv_cents: Mapped[int] = mapped_column(BigInteger)
    churn_risk: Mapped[int] = mapped_column(Integer)
    total_spent_cents: Mapped[int] = mapped_column(BigInteger)
    spent_30d_cents: Mapped[int] = mapped_column(BigInteger)
    purchases_30d: Mapped[int] = mapped_column(Integer)
    plays_30d: Mapped[int] = mapped_column(Integer)
    plays_prev_30d: Mapped[int] = mapped_column(Integer)
    plays_total: Mapped[int] = mapped_column(BigInteger)
    days_since_last_play: Mapped[int] = mapped_column(Integer)
    days_since_last_login: Mapped[int] = mapped_column(Integer)
    days_since_signup: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SegmentRow(Base):
    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str | None] = mapped_column(Text)
    members: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    computed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # remote-config override for the segment's members (src/domain/liveops/remote_config.py); None: none set
    params: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)


class SegmentMemberRow(Base):
    __tablename__ = "segment_members"
    __table_args__ = (Index("ix_segment_members_user_id", "user_id"),)

    segment_name: Mapped[str] = mapped_column(
        String(64), ForeignKey("segments.name", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime)


class SegmentChangeRow(Base):
    """A player joining or leaving a segment at a recompute (the history of their segments)."""

    __tablename__ = "segment_changes"
    __table_args__ = (Index("ix_segment_changes_user_id_changed_at", "user_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigIntPrimaryKey, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    segment_name: Mapped[str] = mapped_column(String(64))
    joined: Mapped[bool] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    job_id: Mapped[str | None] = mapped_column(String(36))


class SegmentJobRow(Base):
    """A recompute: queued, running (one at a time: the partial unique index), done or failed."""

    __tablename__ = "segment_jobs"
    __table_args__ = (
        Index(
            "uq_segment_jobs_one_running",
            "status",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
        Index("ix_segment_jobs_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float, server_default=text("0"))
    trigger: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    players: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
