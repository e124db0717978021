"""rewards: one row per grant of coins, gems or an item, newest first per player

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rewards",
        sa.Column("reward_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("reward_type", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("granted_by", sa.String(length=36), nullable=True),
        sa.Column("awarded_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("reward_type IN ('COIN', 'GEM', 'ITEM')", name=op.f("ck_rewards_reward_type_valid")),
        sa.CheckConstraint("amount >= 1", name=op.f("ck_rewards_amount_positive")),
        sa.CheckConstraint(
            "(reward_type = 'ITEM' AND item_id IS NOT NULL) OR (reward_type <> 'ITEM' AND item_id IS NULL)",
            name=op.f("ck_rewards_item_only_for_items"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_rewards_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_rewards_granted_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("reward_id", name=op.f("pk_rewards")),
    )
    op.create_index("ix_rewards_user_id_awarded_at", "rewards", ["user_id", "awarded_at", "reward_id"])


def downgrade() -> None:
    op.drop_index("ix_rewards_user_id_awarded_at", table_name="rewards")
    op.drop_table("rewards")
