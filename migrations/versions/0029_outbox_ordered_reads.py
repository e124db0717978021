"""outbox_unpublished(n), outbox_unexported(n): the relay's and the exporter's backlog reads as ordered index scans

Both reads are `WHERE <cursor> IS NULL ORDER BY position LIMIT n`. On a table never analyzed (a fresh database:
`reltuples` -1, and this server runs without autovacuum) the planner takes `IS NULL` for 0.5 % of the rows, expects
fewer than the limit, and reads the index as a bitmap: every entry of the backlog and every dead entry the marks
left behind, then a sort of all the rows found (the exporter's read: 58,700 entries, 2,182 buffers, 15-18 ms for
2,000 rows). An ordered index scan stops at the limit and sets the dead entries' hint bits as it walks them, so the
next pass skips them without a heap visit (the same read: 2.0 ms; the relay's 1,000: 0.27 ms against 8-10 ms).

Statistics cannot make that choice robust (the backlog is a moving few per cent of the table), so each read is a
function whose own settings leave the planner nothing but the ordered scan: no bitmap scan, no sort. A function
with SET clauses is never inlined, so the settings hold while its query is planned; they end with the call. The
relay's read orders by (published_at, position), its index's order, which it is since published_at is NULL there.

PostgreSQL only: the SQLite adapter keeps its plain queries.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_READ = """
CREATE FUNCTION {name}(batch integer) RETURNS SETOF outbox
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$ SELECT * FROM outbox WHERE {cursor} IS NULL ORDER BY {order} LIMIT batch $$
"""
READS = {
    "outbox_unpublished": ("published_at", "published_at, position"),
    "outbox_unexported": ("exported_at", "position"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (cursor, order) in READS.items():
        op.execute(_READ.format(name=name, cursor=cursor, order=order))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in READS:
        op.execute(f"DROP FUNCTION {name}(integer)")
