"""The rewards table: one row per grant of coins, gems or an item (the ledger and inventory hold the effect)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import UtcDateTime


class RewardRow(Base):
    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("reward_type IN ('COIN', 'GEM', 'ITEM')", name="reward_type_valid"),
        CheckConstraint("amount >= 1", name="amount_positive"),
        CheckConstraint(
            "(reward_type = 'ITEM' AND item_id IS NOT NULL) OR (reward_type <> 'ITEM' AND item_id IS NULL)",
            name="item_only_for_items",
        ),
        Index("ix_rewards_user_id_awarded_at", "user_id", "awarded_at", "reward_id"),
    )

    reward_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    reward_type: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[str | None] = mapped_column(String(36), ForeignKey("users.id", ondelete="SET NULL"))
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime)
