"""segments: player profiles, segments, memberships and their history, recompute jobs

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 13:32:09.053388
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RFM_GROUPS = ("Whale", "High", "Medium", "Low", "At-risk")


def upgrade() -> None:
    op.create_table(
        "segment_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("players", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_jobs")),
    )
    op.create_index("ix_segment_jobs_created_at", "segment_jobs", ["created_at"], unique=False)
    op.create_index(
        "uq_segment_jobs_one_running",
        "segment_jobs",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
        sqlite_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("members", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("computed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_segments")),
    )
    op.create_table(
        "player_profiles",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("rank", sa.String(length=16), nullable=False),
        sa.Column("vip_tier", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("rfm", sa.String(length=16), nullable=False),
        sa.Column("ltv_cents", sa.BigInteger(), nullable=False),
        sa.Column("churn_risk", sa.Integer(), nullable=False),
        sa.Column("total_spent_cents", sa.BigInteger(), nullable=False),
        sa.Column("spent_30d_cents", sa.BigInteger(), nullable=False),
        sa.Column("purchases_30d", sa.Integer(), nullable=False),
        sa.Column("plays_30d", sa.Integer(), nullable=False),
        sa.Column("plays_prev_30d", sa.Integer(), nullable=False),
        sa.Column("plays_total", sa.BigInteger(), nullable=False),
        sa.Column("days_since_last_play", sa.Integer(), nullable=False),
        sa.Column("days_since_last_login", sa.Integer(), nullable=False),
        sa.Column("days_since_signup", sa.Integer(), nullable=False),
        sa.Column("computed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_player_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_player_profiles")),
    )
    op.create_index("ix_player_profiles_rfm", "player_profiles", ["rfm"], unique=False)
    op.create_table(
        "segment_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("segment_name", sa.String(length=64), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("changed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_segment_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_changes")),
    )
    op.create_index("ix_segment_changes_user_id_changed_at", "segment_changes", ["user_id", "changed_at"], unique=False)
    op.create_table(
        "segment_members",
        sa.Column("segment_name", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("since", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_name"],
            ["segments.name"],
            name=op.f("fk_segment_members_segment_name_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_segment_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("segment_name", "user_id", name=op.f("pk_segment_members")),
    )
    op.create_index("ix_segment_members_user_id", "segment_members", ["user_id"], unique=False)
    # the five RFM groups are segments from the start (their members come with the first recompute)
    segments = sa.table("segments", sa.column("name", sa.String), sa.column("kind", sa.String))
    op.bulk_insert(segments, [{"name": name, "kind": "rfm"} for name in RFM_GROUPS])


def downgrade() -> None:
    op.drop_index("ix_segment_members_user_id", table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index("ix_segment_changes_user_id_changed_at", table_name="segment_changes")
    op.drop_table("segment_changes")
    op.drop_index("ix_player_profiles_rfm", table_name="player_profiles")
    op.drop_table("player_profiles")
    op.drop_table("segments")
    op.drop_index(
        "uq_segment_jobs_one_running",
        table_name="segment_jobs",
        postgresql_where=sa.text("status = 'running'"),
        sqlite_where=sa.text("status = 'running'"),
    )
    op.drop_index("ix_segment_jobs_created_at", table_name="segment_jobs")
    op.drop_table("segment_jobs")
