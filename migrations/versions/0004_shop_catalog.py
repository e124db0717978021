"""shop catalog

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:40:17.271735
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The starting shop: several gem packs, one PREMIUM-only, one VIP-only, and one on a time-limited discount.
DEFAULT_CATALOG = [
    {"sku": "gems_100", "name": "Handful of Gems", "description": "100 gems", "price_cents": 99, "currency": "USD",
     "gems": 100, "min_rank": "STANDARD", "enabled": True, "discount_percent": 0, "discount_ends_at": None},
    {"sku": "gems_550", "name": "Pouch of Gems", "description": "550 gems (10 % bonus)", "price_cents": 499,
     "currency": "USD", "gems": 550, "min_rank": "STANDARD", "enabled": True, "discount_percent": 0,
     "discount_ends_at": None},
    {"sku": "gems_1200", "name": "Chest of Gems", "description": "1,200 gems (20 % bonus), launch discount",
     "price_cents": 999, "currency": "USD", "gems": 1200, "min_rank": "STANDARD", "enabled": True,
     "discount_percent": 20, "discount_ends_at": datetime(2027, 3, 1, tzinfo=UTC)},
    {"sku": "gems_3000_premium", "name": "Premium Vault", "description": "3,000 gems for PREMIUM players",
     "price_cents": 1999, "currency": "USD", "gems": 3000, "min_rank": "PREMIUM", "enabled": True,
     "discount_percent": 0, "discount_ends_at": None},
    {"sku": "gems_8000_vip", "name": "VIP Treasury", "description": "8,000 gems for VIP players",
     "price_cents": 4999, "currency": "USD", "gems": 8000, "min_rank": "VIP", "enabled": True,
     "discount_percent": 0, "discount_ends_at": None},
]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "catalog_items",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), server_default=sa.text("''"), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gems", sa.Integer(), nullable=False),
        sa.Column("min_rank", sa.String(length=16), server_default=sa.text("'STANDARD'"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("discount_percent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("discount_ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_catalog_items")),
    )

    catalog = sa.table(
        "catalog_items",
        sa.column("sku", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.String),
        sa.column("price_cents", sa.Integer),
        sa.column("currency", sa.String),
        sa.column("gems", sa.Integer),
        sa.column("min_rank", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("discount_percent", sa.Integer),
        sa.column("discount_ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)),
        sa.column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)),
        sa.column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(catalog, [{**item, "created_at": now, "updated_at": now} for item in DEFAULT_CATALOG])


def downgrade() -> None:
    op.drop_table("catalog_items")
