"""webhook requests, gateway events and signed arrivals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> advanced_alchemy.types.DateTimeUTC:
    return advanced_alchemy.types.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("raw_body", sa.LargeBinary(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_requests")),
    )
    op.create_index("ix_webhook_requests_received_at_id", "webhook_requests", ["received_at", "id"])
    op.create_index("ix_webhook_requests_event_id", "webhook_requests", ["event_id"])
    op.create_table(
        "gateway_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("charge_id", sa.String(length=128), nullable=True),
        sa.Column("processed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_gateway_events")),
    )
    op.create_table(
        "webhook_arrivals",
        sa.Column("signed_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("signed_key", name=op.f("pk_webhook_arrivals")),
    )


def downgrade() -> None:
    op.drop_table("webhook_arrivals")
    op.drop_table("gateway_events")
    op.drop_index("ix_webhook_requests_event_id", table_name="webhook_requests")
    op.drop_index("ix_webhook_requests_received_at_id", table_name="webhook_requests")
    op.drop_table("webhook_requests")
