"""progress writes per spin: progress_events keyed by (user_id, event_id), mission and achievement progress at
fillfactor 50

Every counted event inserts one progress_events row. Its three indexes were the primary key on event_id (the
consumer's once-only key), user_id (the player's erasure and the foreign key's cascade) and counted_at (the hourly
purge). A primary key on (user_id, event_id) serves both of the first two readers (an event always carries the same
player, so it is as unique), one random-leaf index insertion less per event; counted_at stays (its insertions go to
the rightmost leaf, and the purge's batched deletes need it to skip what earlier batches deleted).

mission_progress and achievement_progress: a relay pass updates most rows of a playing player's page at once, so at
fillfactor 100 the new versions did not fit on their page and the updates were not HOT (each wrote its primary key
entry again and moved the row). Half of each page is left free for the next versions; a later pass prunes the
previous ones. Applies to pages written from now on (a table's existing pages keep their density until rewritten).

processed_events: the signup consumer's marks ("wallet.signup_bonus") go; it relies on its ledger references alone
now, and nothing purged its marks.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 01:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPDATED_PER_PASS = ("mission_progress", "achievement_progress")


def upgrade() -> None:
    with op.batch_alter_table("progress_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_events_user_id"))
        batch_op.drop_constraint(batch_op.f("pk_progress_events"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_progress_events"), ["user_id", "event_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in _UPDATED_PER_PASS:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    op.execute("DELETE FROM processed_events WHERE consumer = 'wallet.signup_bonus'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _UPDATED_PER_PASS:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    with op.batch_alter_table("progress_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_progress_events"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_progress_events"), ["event_id"])
        batch_op.create_index(batch_op.f("ix_progress_events_user_id"), ["user_id"], unique=False)
