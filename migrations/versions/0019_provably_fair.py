"""provably fair plays: seed pairs (active, revealed), every config version kept, each play's pair, nonce, version

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "game_config_versions",
        sa.Column("game_type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("game_type", "version", name=op.f("pk_game_config_versions")),
    )
    # the version in force today is the one history can name; earlier ones live only in the audit log
    op.execute(
        "INSERT INTO game_config_versions (game_type, version, config, updated_by, created_at) "
        "SELECT game_type, version, config, updated_by, updated_at FROM game_configs"
    )
    op.create_table(
        "fairness_seeds",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("pair_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_server_seed", sa.String(length=200), nullable=False),
        sa.Column("server_seed_hash", sa.String(length=64), nullable=False),
        sa.Column("client_seed", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_fairness_seeds_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_fairness_seeds")),
        sa.UniqueConstraint("pair_id", name=op.f("uq_fairness_seeds_pair_id")),
    )
    op.create_table(
        "fairness_revealed_seeds",
        sa.Column("pair_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("server_seed", sa.String(length=64), nullable=False),
        sa.Column("server_seed_hash", sa.String(length=64), nullable=False),
        sa.Column("client_seed", sa.String(length=64), nullable=False),
        sa.Column("last_nonce", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("revealed_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_fairness_revealed_seeds_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pair_id", name=op.f("pk_fairness_revealed_seeds")),
    )
    op.create_index("ix_fairness_revealed_seeds_user_revealed", "fairness_revealed_seeds", ["user_id", "revealed_at"])
    with op.batch_alter_table("game_history") as batch:
        batch.add_column(sa.Column("seed_pair_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("nonce", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("config_version", sa.Integer(), nullable=True))
    op.create_index("uq_game_history_seed_pair_nonce", "game_history", ["seed_pair_id", "nonce"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_game_history_seed_pair_nonce", table_name="game_history")
    with op.batch_alter_table("game_history") as batch:
        batch.drop_column("config_version")
        batch.drop_column("nonce")
        batch.drop_column("seed_pair_id")
    op.drop_index("ix_fairness_revealed_seeds_user_revealed", table_name="fairness_revealed_seeds")
    op.drop_table("fairness_revealed_seeds")
    op.drop_table("fairness_seeds")
    op.drop_table("game_config_versions")
