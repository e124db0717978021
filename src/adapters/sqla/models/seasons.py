"""Season leaderboard tables: definitions, each season's period, live scores, and frozen final results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class SeasonBoardRow(Base):
    __tablename__ = "season_boards"

    definition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    board: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(16))
    rewards: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SeasonPeriodRow(Base):
    """One season of a definition (opened by its first score); frozen once its final ranks are stored."""

    __tablename__ = "season_periods"
    __table_args__ = (Index("ix_season_periods_unsettled", "settled_at", "ends_at"),)

    season_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    definition_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SeasonScoreRow(Base):
    __tablename__ = "season_scores"
    __table_args__ = (Index("ix_season_scores_ranking", "season_id", "score", "score_at", "user_id"),)

    season_id: Mapped[str] = mapped_column(
        String(96), ForeignKey("season_periods.season_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(BigInteger)
    score_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when the score last changed: the tie-break


class SeasonResultRow(Base):
    """A player's final rank in a season and the band reward; `paid_at` is set when the ledger paid it."""

    __tablename__ = "season_results"
    __table_args__ = (
        Index("ix_season_results_rank", "season_id", "rank"),
        Index("ix_season_results_unpaid", "season_id", "paid_at"),
    )

    season_id: Mapped[str] = mapped_column(
        String(96), ForeignKey("season_periods.season_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(BigInteger)
    coins: Mapped[int] = mapped_column(BigInteger)
    gems: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
