"""battle pass seasons, standings and claims; season leaderboards (definitions, periods, scores, results)

Ships one running battle pass season of 30 levels and the weekly net-coins season leaderboard.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _default_levels() -> list[dict[str, object]]:
    """Level n at 100·n·(n+1)/2 XP; free: 100·n coins (+5 gems every 5th); premium: 250·n coins, 5 gems (20)."""
    return [
        {
            "level": n,
            "xp": 100 * n * (n + 1) // 2,
            "free": {"coins": 100 * n, "gems": 5 if n % 5 == 0 else 0},
            "premium": {"coins": 250 * n, "gems": 20 if n % 5 == 0 else 5},
        }
        for n in range(1, 31)
    ]


def _battlepass_tables() -> None:
    op.create_table(
        "battlepass_seasons",
        sa.Column("season_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", _time(), nullable=False),
        sa.Column("ends_at", _time(), nullable=False),
        sa.Column("levels", JSON, nullable=False),
        sa.Column("xp_table", JSON, nullable=False),
        sa.Column("premium_price_gems", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("settled_at", _time(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_battlepass_seasons_window_valid")),
        sa.PrimaryKeyConstraint("season_id", name=op.f("pk_battlepass_seasons")),
    )
    op.create_table(
        "battlepass_progress",
        sa.Column("season_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("xp", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("premium", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("settled_at", _time(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint("xp >= 0", name=op.f("ck_battlepass_progress_xp_not_negative")),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["battlepass_seasons.season_id"],
            name=op.f("fk_battlepass_progress_season_id_battlepass_seasons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_battlepass_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("season_id", "user_id", name=op.f("pk_battlepass_progress")),
    )
    op.create_index("ix_battlepass_progress_unsettled", "battlepass_progress", ["season_id", "settled_at", "user_id"])
    op.create_table(
        "battlepass_claims",
        sa.Column("season_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=8), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", _time(), nullable=False),
        sa.CheckConstraint("track IN ('free', 'premium')", name=op.f("ck_battlepass_claims_track_valid")),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["battlepass_seasons.season_id"],
            name=op.f("fk_battlepass_claims_season_id_battlepass_seasons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_battlepass_claims_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("season_id", "user_id", "level", "track", name=op.f("pk_battlepass_claims")),
    )


def _season_tables() -> None:
    op.create_table(
        "season_boards",
        sa.Column("definition_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("board", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("rewards", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("definition_id", name=op.f("pk_season_boards")),
    )
    op.create_table(
        "season_periods",
        sa.Column("season_id", sa.String(length=96), nullable=False),
        sa.Column("definition_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", _time(), nullable=False),
        sa.Column("ends_at", _time(), nullable=False),
        sa.Column("frozen_at", _time(), nullable=True),
        sa.Column("settled_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("season_id", name=op.f("pk_season_periods")),
    )
    op.create_index("ix_season_periods_unsettled", "season_periods", ["settled_at", "ends_at"])
    for table, extra in (
        (
            "season_scores",
            [sa.Column("score", sa.BigInteger(), nullable=False), sa.Column("score_at", _time(), nullable=False)],
        ),
        (
            "season_results",
            [
                sa.Column("rank", sa.Integer(), nullable=False),
                sa.Column("score", sa.BigInteger(), nullable=False),
                sa.Column("coins", sa.BigInteger(), nullable=False),
                sa.Column("gems", sa.BigInteger(), nullable=False),
                sa.Column("paid_at", _time(), nullable=True),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("season_id", sa.String(length=96), nullable=False),
            sa.Column("user_id", sa.String(length=36), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["season_id"],
                ["season_periods.season_id"],
                name=op.f(f"fk_{table}_season_id_season_periods"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("season_id", "user_id", name=op.f(f"pk_{table}")),
        )
    op.create_index("ix_season_scores_ranking", "season_scores", ["season_id", "score", "score_at", "user_id"])
    op.create_index("ix_season_results_rank", "season_results", ["season_id", "rank"])
    op.create_index("ix_season_results_unpaid", "season_results", ["season_id", "paid_at"])


def _seed() -> None:
    now = datetime.now(UTC)
    seasons = sa.table(
        "battlepass_seasons",
        *(sa.column(name) for name in ("season_id", "name", "premium_price_gems", "enabled")),
        sa.column("starts_at", _time()),
        sa.column("ends_at", _time()),
        sa.column("updated_at", _time()),
        sa.column("levels", JSON),
        sa.column("xp_table", JSON),
    )
    op.bulk_insert(
        seasons,
        [
            {
                "season_id": "season_1",
                "name": "Season 1: High Rollers",
                "starts_at": datetime(2026, 11, 30, tzinfo=UTC),
                "ends_at": datetime(2027, 3, 1, tzinfo=UTC),
                "levels": _default_levels(),
                "xp_table": {"play": 10, "per_100_coins_wagered": 1, "purchase": 500},
                "premium_price_gems": 500,
                "enabled": True,
                "updated_at": now,
            }
        ],
    )
    boards = sa.table(
        "season_boards",
        *(sa.column(name) for name in ("definition_id", "name", "board", "cadence", "enabled")),
        sa.column("rewards", JSON),
        sa.column("updated_at", _time()),
    )
    rewards = [
        {"rank_from": 1, "rank_to": 1, "coins": 50_000, "gems": 100},
        {"rank_from": 2, "rank_to": 10, "coins": 10_000, "gems": 20},
        {"rank_from": 11, "rank_to": 100, "coins": 2_000, "gems": 0},
    ]
    op.bulk_insert(
        boards,
        [
            {
                "definition_id": "weekly_net_coins",
                "name": "Weekly high rollers",
                "board": "net_coins",
                "cadence": "weekly",
                "enabled": True,
                "rewards": rewards,
                "updated_at": now,
            }
        ],
    )


def upgrade() -> None:
    _battlepass_tables()
    _season_tables()
    _seed()


def downgrade() -> None:
    for index, table in (
        ("ix_season_results_unpaid", "season_results"),
        ("ix_season_results_rank", "season_results"),
        ("ix_season_scores_ranking", "season_scores"),
        ("ix_season_periods_unsettled", "season_periods"),
        ("ix_battlepass_progress_unsettled", "battlepass_progress"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "season_results",
        "season_scores",
        "season_periods",
        "season_boards",
        "battlepass_claims",
        "battlepass_progress",
        "battlepass_seasons",
    ):
        op.drop_table(table)
