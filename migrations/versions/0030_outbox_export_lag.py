"""outbox: the exporter's index holds only its lag (published, not exported); the relay's pass marks both at once

Where the relay and the exporter run in one process, the relay's pass hands its batch to the exporter when nothing
older waits for export, and one UPDATE sets `published_at` and `exported_at` (each row was marked twice, both
non-HOT). A row then never needs an entry for the export backlog: ix_outbox_unexported (every row not exported,
an entry at the insert and another at the relay's mark) is replaced by ix_outbox_export_lag, the rows published and
not exported (entries only when the exporter lags: a failing sink, a relay without an exporter). The exporter reads
its backlog as the two ordered scans: the unpublished rows on the relay's index, its lag on this one.

`outbox_pending_export(positions)`: under the exporter's lock, NULL when older events wait for export (its lag is
not empty), else which of `positions` are not exported yet. Planned without sequential or bitmap scans: the lag is
empty when the relay hands off, and an index finds that at once where a sequential scan reads the whole table.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LAG = sa.text("published_at IS NOT NULL AND exported_at IS NULL")
UNEXPORTED = sa.text("exported_at IS NULL")

_UNEXPORTED_READ = """
CREATE OR REPLACE FUNCTION outbox_unexported(batch integer) RETURNS SETOF outbox
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
(SELECT * FROM outbox WHERE published_at IS NULL AND exported_at IS NULL ORDER BY published_at, position LIMIT batch)
UNION ALL
(SELECT * FROM outbox WHERE published_at IS NOT NULL AND exported_at IS NULL ORDER BY position LIMIT batch)
$$
"""
_PENDING_EXPORT = """
CREATE FUNCTION outbox_pending_export(positions bigint[]) RETURNS bigint[]
LANGUAGE sql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
SELECT CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE published_at IS NOT NULL AND exported_at IS NULL) THEN NULL
ELSE ARRAY(SELECT position FROM outbox WHERE position = ANY(positions) AND exported_at IS NULL ORDER BY position) END
$$
"""
_OLD_UNEXPORTED_READ = """
CREATE OR REPLACE FUNCTION outbox_unexported(batch integer) RETURNS SETOF outbox
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$ SELECT * FROM outbox WHERE exported_at IS NULL ORDER BY position LIMIT batch $$
"""


def upgrade() -> None:
    op.create_index("ix_outbox_export_lag", "outbox", ["position"], postgresql_where=LAG, sqlite_where=LAG)
    op.drop_index("ix_outbox_unexported", table_name="outbox")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_UNEXPORTED_READ)
        op.execute(_PENDING_EXPORT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION outbox_pending_export(bigint[])")
        op.execute(_OLD_UNEXPORTED_READ)
    op.create_index(
        "ix_outbox_unexported", "outbox", ["position"], postgresql_where=UNEXPORTED, sqlite_where=UNEXPORTED
    )
    op.drop_index("ix_outbox_export_lag", table_name="outbox")
