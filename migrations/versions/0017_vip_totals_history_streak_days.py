"""VIP running totals (backfilled from purchases and plays) and tier history; the streak attendance calendar

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every player's totals as the exact sources give them at migration time: captured purchases net of refunds, slot
# spins and gacha items pulled (the gacha's rarities only). earned_tier starts at 0: the first event of a player
# whose totals already reach a tier raises it then (never lowering a stored tier).
_BACKFILL = """
INSERT INTO vip_totals (user_id, spent_cents, activity_points, earned_tier, updated_at)
SELECT users.id,
    COALESCE((SELECT SUM(amount_cents - refunded_cents) FROM purchase_transactions AS tx
              WHERE tx.user_id = users.id AND tx.status IN ('captured', 'refunded')), 0),
    COALESCE((SELECT SUM(play_count) FROM game_stats AS stats
              WHERE stats.user_id = users.id AND stats.game_type = 'slot'), 0)
    + COALESCE((SELECT SUM(quantity) FROM inventory_items AS items
              WHERE items.user_id = users.id AND items.rarity IN ('Legendary', 'Epic', 'Rare', 'Common')), 0),
    0,
    CURRENT_TIMESTAMP
FROM users
"""


def upgrade() -> None:
    op.create_table(
        "streak_days",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_streak_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", "kind", name=op.f("pk_streak_days")),
    )
    op.create_table(
        "vip_totals",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("spent_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("activity_points", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("earned_tier", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_vip_totals")),
    )
    op.create_table(
        "vip_tier_changes",
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("from_tier", sa.Integer(), nullable=True),
        sa.Column("to_tier", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("changed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_vip_tier_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_vip_tier_changes")),
    )
    op.create_index(
        "ix_vip_tier_changes_user_changed", "vip_tier_changes", ["user_id", "changed_at", "event_id"], unique=False
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_vip_tier_changes_user_changed", table_name="vip_tier_changes")
    op.drop_table("vip_tier_changes")
    op.drop_table("vip_totals")
    op.drop_table("streak_days")
