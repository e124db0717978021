"""purchase transactions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:58:48.791987
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchase_transactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gems", sa.BigInteger(), nullable=False),
        sa.Column("card_token_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("promo_code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("charge_id", sa.String(length=128), nullable=True),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("capture_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("gems_granted", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("clawed_back_gems", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("outstanding_gems", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "history", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_purchase_transactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_transactions")),
    )
    op.create_index(
        "ix_purchase_transactions_status_created_at", "purchase_transactions", ["status", "created_at"], unique=False
    )
    op.create_index(
        "ix_purchase_transactions_user_id_created_at", "purchase_transactions", ["user_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_purchase_transactions_user_id_created_at", table_name="purchase_transactions")
    op.drop_index("ix_purchase_transactions_status_created_at", table_name="purchase_transactions")
    op.drop_table("purchase_transactions")
