"""games follows history stats inventory

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:36:45.924295
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "game_configs",
        sa.Column("game_type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("game_type", name=op.f("pk_game_configs")),
    )
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.String(length=36), nullable=False),
        sa.Column("followee_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_not_self")),
        sa.ForeignKeyConstraint(
            ["followee_id"], ["users.id"], name=op.f("fk_follows_followee_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["users.id"], name=op.f("fk_follows_follower_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("follower_id", "followee_id", name=op.f("pk_follows")),
    )
    op.create_index("ix_follows_followee_id_created_at", "follows", ["followee_id", "created_at"], unique=False)
    op.create_table(
        "game_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("game_type", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("bet", sa.BigInteger(), nullable=False),
        sa.Column("payout", sa.BigInteger(), nullable=False),
        sa.Column("delta_coins", sa.BigInteger(), nullable=False),
        sa.Column("delta_gems", sa.BigInteger(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column(
            "result_meta", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_game_history_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_history")),
    )
    op.create_index("ix_game_history_user_created", "game_history", ["user_id", "created_at"], unique=False)
    op.create_index(
        "ix_game_history_user_game_created", "game_history", ["user_id", "game_type", "created_at"], unique=False
    )
    op.create_table(
        "game_stats",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("game_type", sa.String(length=16), nullable=False),
        sa.Column("play_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("win_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("net_coins", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("net_gems", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_game_stats_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "game_type", name=op.f("pk_game_stats")),
    )
    op.create_table(
        "inventory_items",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("rarity", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("first_acquired_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inventory_items_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "item_id", name=op.f("pk_inventory_items")),
    )
    op.create_table(
        "player_game_state",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("game_type", sa.String(length=16), nullable=False),
        sa.Column("streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pity_counter", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_player_game_state_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "game_type", name=op.f("pk_player_game_state")),
    )


def downgrade() -> None:
    op.drop_table("player_game_state")
    op.drop_table("inventory_items")
    op.drop_table("game_stats")
    op.drop_index("ix_game_history_user_game_created", table_name="game_history")
    op.drop_index("ix_game_history_user_created", table_name="game_history")
    op.drop_table("game_history")
    op.drop_index("ix_follows_followee_id_created_at", table_name="follows")
    op.drop_table("follows")
    op.drop_table("game_configs")
