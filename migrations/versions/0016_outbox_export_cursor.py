"""outbox.exported_at: the analytics exporter's own cursor (Kafka or the OLAP store), apart from the relay's

Rows already in the outbox are left unexported, so an upgraded deployment sends its history to the OLAP store once
(rows are keyed there, so nothing counts twice).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNEXPORTED = sa.text("exported_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("exported_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)))
    # only the backlog is indexed: the exporter reads it in position order, and /ready counts it
    op.create_index(
        "ix_outbox_unexported", "outbox", ["position"], postgresql_where=UNEXPORTED, sqlite_where=UNEXPORTED
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unexported", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("exported_at")
