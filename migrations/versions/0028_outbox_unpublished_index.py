"""outbox: the relay's backlog indexed alone (position where published_at is null), as the exporter's is

The index on (published_at, position) held every row, published or not, so marking a row published wrote a new
entry into it, and the relay's read of the backlog walked the old versions' entries (still NULL) until vacuum:
~84 index entries read per spin under the spin benchmark. Only the backlog is read by it (the relay, /ready's
gauge), so a partial index on position does the same job and takes no entry for a published row.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 23:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPUBLISHED = sa.text("published_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["position"], postgresql_where=UNPUBLISHED, sqlite_where=UNPUBLISHED
    )
    op.drop_index("ix_outbox_published_at_position", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_published_at_position", "outbox", ["published_at", "position"], unique=False)
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
