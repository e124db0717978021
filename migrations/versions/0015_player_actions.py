"""player_actions: actions players report, newest first per player, for /api/actions/recent

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "player_actions",
        sa.Column("action_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("action_type", sa.String(length=80), nullable=False),
        sa.Column("context", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("client_ts", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("tracked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_player_actions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_player_actions")),
    )
    op.create_index("ix_player_actions_user_id_tracked_at", "player_actions", ["user_id", "tracked_at", "action_id"])
    op.create_index("ix_player_actions_tracked_at", "player_actions", ["tracked_at"])


def downgrade() -> None:
    op.drop_index("ix_player_actions_tracked_at", table_name="player_actions")
    op.drop_index("ix_player_actions_user_id_tracked_at", table_name="player_actions")
    op.drop_table("player_actions")
