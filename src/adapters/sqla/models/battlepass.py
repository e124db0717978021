"""Battle pass tables: seasons (definitions as data), each player's standing per season, and paid claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class BattlePassSeasonRow(Base):
    __tablename__ = "battlepass_seasons"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window_valid"),)

    season_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    xp_table: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    premium_price_gems: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BattlePassProgressRow(Base):
    __tablename__ = "battlepass_progress"
    __table_args__ = (
        CheckConstraint("xp >= 0", name="xp_not_negative"),
        Index("ix_battlepass_progress_unsettled", "season_id", "settled_at", "user_id"),
    )

    season_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("battlepass_seasons.season_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    xp: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    premium: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BattlePassClaimRow(Base):
    """One row per paid level and track: its primary key is what pays a level once."""

    __tablename__ = "battlepass_claims"
    __table_args__ = (CheckConstraint("track IN ('free', 'premium')", name="track_valid"),)

    season_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("battlepass_seasons.season_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    track: Mapped[str] = mapped_column(String(8), primary_key=True)
    via: Mapped[str] = mapped_column(String(16))  # "claim" | "season_end"
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
