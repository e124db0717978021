"""engagement streaks: one daily-streak row per player

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "streaks",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("best", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_tick_date", sa.Date(), nullable=True),
        sa.Column("protected_until", sa.Date(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("count >= 0 AND best >= count", name=op.f("ck_streaks_counts_valid")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_streaks_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_streaks")),
    )


def downgrade() -> None:
    op.drop_table("streaks")
