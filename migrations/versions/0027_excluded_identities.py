"""excluded_identities: digests of an erased player's identifiers while their self-exclusion runs

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 17:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "excluded_identities",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("excluded_until", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_excluded_identities")),
    )
    op.create_index(
        op.f("ix_excluded_identities_excluded_until"), "excluded_identities", ["excluded_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_excluded_identities_excluded_until"), table_name="excluded_identities")
    op.drop_table("excluded_identities")
