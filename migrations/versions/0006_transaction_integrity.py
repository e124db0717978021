"""purchase transactions: integrity hash, one transaction per gateway charge

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_transactions") as batch:
        batch.add_column(sa.Column("integrity_hash", sa.String(length=96), nullable=True))
    op.create_index("ix_purchase_transactions_charge_id", "purchase_transactions", ["charge_id"], unique=True)
    op.create_index("ix_purchase_transactions_sku_created_at", "purchase_transactions", ["sku", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_purchase_transactions_sku_created_at", table_name="purchase_transactions")
    op.drop_index("ix_purchase_transactions_charge_id", table_name="purchase_transactions")
    with op.batch_alter_table("purchase_transactions") as batch:
        batch.drop_column("integrity_hash")
