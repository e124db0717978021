"""rewards.source takes 200 characters: an admin wallet grant is a reward, and its reason may be that long

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rewards") as batch:
        batch.alter_column("source", existing_type=sa.String(length=64), type_=sa.String(length=200))


def downgrade() -> None:
    # a source past 64 characters is cut on the way down (the old column cannot hold it)
    op.execute("UPDATE rewards SET source = substr(source, 1, 64) WHERE length(source) > 64")
    with op.batch_alter_table("rewards") as batch:
        batch.alter_column("source", existing_type=sa.String(length=200), type_=sa.String(length=64))
