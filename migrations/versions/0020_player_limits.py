"""player_limits: responsible-gaming limits (purchase, play time, reality check), pending loosenings, restrictions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "player_limits",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("daily_cents", sa.BigInteger(), nullable=True),
        sa.Column("weekly_cents", sa.BigInteger(), nullable=True),
        sa.Column("monthly_cents", sa.BigInteger(), nullable=True),
        sa.Column("play_minutes_daily", sa.Integer(), nullable=True),
        sa.Column("reality_check_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "pending", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("restriction", sa.String(length=16), nullable=True),
        sa.Column("restricted_until", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_player_limits_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_player_limits")),
    )


def downgrade() -> None:
    op.drop_table("player_limits")
