"""Games tables: stored odds (every version), per-player game state, seed pairs, history, per-game stats, inventory."""

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


class GameConfigVersionRow(Base):
    """Every version ever stored, so a play's proof can name the odds it was drawn under."""

    __tablename__ = "game_config_versions"

    game_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FairnessSeedRow(Base):
    """A player's active seed pair; the server seed only sealed (AES-GCM under FAIRNESS_SEED_KEY)."""

    __tablename__ = "fairness_seeds"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    pair_id: Mapped[str] = mapped_column(String(36), unique=True)
    sealed_server_seed: Mapped[str] = mapped_column(String(200))
    server_seed_hash: Mapped[str] = mapped_column(String(64))
    client_seed: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RevealedSeedRow(Base):
    """A rotated pair: its server seed is public now, so it is kept in the clear."""

    __tablename__ = "fairness_revealed_seeds"
    __table_args__ = (Index("ix_fairness_revealed_seeds_user_revealed", "user_id", "revealed_at"),)

    pair_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    server_seed: Mapped[str] = mapped_column(String(64))
    server_seed_hash: Mapped[str] = mapped_column(String(64))
    client_seed: Mapped[str] = mapped_column(String(64))
    last_nonce: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revealed_at: Mapped[datetime] = mapped_column(UtcDateTime)


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
        Index("uq_game_history_seed_pair_nonce", "seed_pair_id", "nonce", unique=True),  # a nonce is drawn once
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
    seed_pair_id: Mapped[str | None] = mapped_column(String(36))  # null: played before provably fair draws
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    config_version: Mapped[int | None] = mapped_column(Integer)


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
