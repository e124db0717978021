"""purchase transactions: the client's Idempotency-Key (hashed), unique per user — one key, one purchase

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_transactions") as batch:
        batch.add_column(sa.Column("idempotency_key_hash", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_purchase_transactions_user_key",
        "purchase_transactions",
        ["user_id", "idempotency_key_hash"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_purchase_transactions_user_key", table_name="purchase_transactions")
    with op.batch_alter_table("purchase_transactions") as batch:
        batch.drop_column("idempotency_key_hash")
