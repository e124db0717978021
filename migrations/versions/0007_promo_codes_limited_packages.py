"""promo codes and limited packages with stock holds

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)

# One package on sale from the start, so a fresh install shows the limited shop.
LAUNCH_BUNDLE = {
    "package_id": "launch_bundle",
    "name": "Launch Bundle",
    "description": "2,500 gems at a launch price, while stock lasts",
    "price_cents": 1499,
    "currency": "USD",
    "gems": 2500,
    "min_rank": "STANDARD",
    "starts_at": datetime(2026, 11, 1, tzinfo=UTC),
    "ends_at": datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC),
    "max_global_stock": 1000,
    "per_user_limit": 2,
    "enabled": True,
}


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
    ]


def _create_promo_tables() -> None:
    op.create_table(
        "promo_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("used_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=True),
        sa.Column("ends_at", UTC_DATETIME, nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("used_count >= 0", name=op.f("ck_promo_codes_used_count_not_negative")),
        sa.CheckConstraint("max_uses IS NULL OR used_count <= max_uses", name=op.f("ck_promo_codes_within_max_uses")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_promo_codes")),
    )
    op.create_index("ix_promo_codes_created_at_code", "promo_codes", ["created_at", "code"])
    op.create_table(
        "promo_redemptions",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["code"], ["promo_codes.code"], name=op.f("fk_promo_redemptions_code_promo_codes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_promo_redemptions")),
    )
    op.create_index("ix_promo_redemptions_code_status", "promo_redemptions", ["code", "status"])


def _create_limited_packages() -> None:
    op.create_table(
        "limited_packages",
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), server_default=sa.text("''"), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gems", sa.Integer(), nullable=False),
        sa.Column("min_rank", sa.String(length=16), server_default=sa.text("'STANDARD'"), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("max_global_stock", sa.Integer(), nullable=False),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("held", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_limited_packages_sold_not_negative")),
        sa.CheckConstraint("held >= 0", name=op.f("ck_limited_packages_held_not_negative")),
        sa.CheckConstraint("sold + held <= max_global_stock", name=op.f("ck_limited_packages_not_oversold")),
        sa.PrimaryKeyConstraint("package_id", name=op.f("pk_limited_packages")),
    )


def _create_stock_tables() -> None:
    op.create_table(
        "stock_holds",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        *_timestamps(),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_holds_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["limited_packages.package_id"],
            name=op.f("fk_stock_holds_package_id_limited_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_stock_holds")),
    )
    op.create_index("ix_stock_holds_status_expires_at", "stock_holds", ["status", "expires_at"])
    op.create_index("ix_stock_holds_package_id_user_id", "stock_holds", ["package_id", "user_id"])
    op.create_table(
        "limited_purchase_counts",
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_limited_purchase_counts_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["limited_packages.package_id"],
            name=op.f("fk_limited_purchase_counts_package_id_limited_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("package_id", "user_id", name=op.f("pk_limited_purchase_counts")),
    )


def _seed_launch_bundle() -> None:
    packages = sa.table(
        "limited_packages",
        *(sa.column(name) for name in LAUNCH_BUNDLE if not name.endswith("_at")),
        sa.column("starts_at", UTC_DATETIME),
        sa.column("ends_at", UTC_DATETIME),
        sa.column("created_at", UTC_DATETIME),
        sa.column("updated_at", UTC_DATETIME),
    )
    now = datetime.now(UTC)
    op.bulk_insert(packages, [{**LAUNCH_BUNDLE, "created_at": now, "updated_at": now}])


def upgrade() -> None:
    _create_promo_tables()
    _create_limited_packages()
    _create_stock_tables()
    _seed_launch_bundle()


def downgrade() -> None:
    op.drop_table("limited_purchase_counts")
    op.drop_index("ix_stock_holds_package_id_user_id", table_name="stock_holds")
    op.drop_index("ix_stock_holds_status_expires_at", table_name="stock_holds")
    op.drop_table("stock_holds")
    op.drop_table("limited_packages")
    op.drop_index("ix_promo_redemptions_code_status", table_name="promo_redemptions")
    op.drop_table("promo_redemptions")
    op.drop_index("ix_promo_codes_created_at_code", table_name="promo_codes")
    op.drop_table("promo_codes")
