"""segments.params: a segment's remote-config override (src/domain/liveops/remote_config.py)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 14:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("segments", sa.Column("params", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("segments") as batch:  # SQLite rebuilds the table to drop a column
        batch.drop_column("params")
