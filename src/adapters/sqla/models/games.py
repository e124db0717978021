"""Games tables: stored odds, per-player game state, history, per-game stats, inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class GameConfigRow(Base):
    __tablename__ = "game_configs"

    game_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlayerGameStateRow(Base):
    __tablename__ = "player_game_state"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    game_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    streak: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    pity_counter: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GameHistoryRow(Base):
    __tablename__ = "game_history"
    __table_args__ = (
        Index("ix_game_history_user_game_created", "user_id", "game_type", "created_at"),
        Index("ix_game_history_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    game_type: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    bet: Mapped[int] = mapped_column(BigInteger)
    payout: Mapped[int] = mapped_column(BigInteger)
    delta_coins: Mapped[int] = mapped_column(BigInteger)
    delta_gems: Mapped[int] = mapped_column(BigInteger)
    won: Mapped[bool] = mapped_column(Boolean)
    result_meta: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GameStatsRow(Base):
    __tablename__ = "game_stats"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    game_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    play_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    win_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    net_coins: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    net_gems: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InventoryItemRow(Base):
    __tablename__ = "inventory_items"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    rarity: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    first_acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
