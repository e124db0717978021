"""missions and achievements: definitions as data (with the shipped defaults), players' progress, counted events

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 07:44:26.943271
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (id, title, period, metric, operator, rarity, target, reward coins, gems, item, position)
MISSIONS = [
    ("daily_login", "Sign in today", "daily", "logins", "add", None, 1, 100, 0, None, 10),
    ("daily_streak", "Tick your daily streak", "daily", "streak_days", "max", None, 1, 100, 0, None, 20),
    ("daily_spins_20", "Spin the slot 20 times", "daily", "spins", "add", None, 20, 200, 0, None, 30),
    ("daily_wins_5", "Win 5 spins", "daily", "wins", "add", None, 5, 250, 0, None, 40),
    ("daily_wager_2000", "Wager 2,000 coins", "daily", "coins_wagered", "add", None, 2000, 300, 0, None, 50),
    ("daily_gacha_1", "Pull the gacha once", "daily", "gacha_pulls", "add", None, 1, 200, 0, None, 60),
    ("daily_big_win", "Win 500 coins in one spin", "daily", "coins_won", "max", None, 500, 0, 1, None, 70),
    ("weekly_spins_200", "Spin the slot 200 times", "weekly", "spins", "add", None, 200, 2000, 0, None, 110),
    ("weekly_coins_won_10000", "Win 10,000 coins", "weekly", "coins_won", "add", None, 10000, 0, 10, None, 120),
    ("weekly_gacha_10", "Pull 10 gacha items", "weekly", "gacha_pulls", "add", None, 10, 3000, 0, None, 130),
    ("weekly_epic_pull", "Pull an Epic item", "weekly", "pulls_of_rarity", "add", "Epic", 1, 0, 15, None, 140),
    ("weekly_purchase", "Make a purchase", "weekly", "purchases", "add", None, 1, 0, 0, "streak_shield", 150),
    ("first_spin", "Spin the slot for the first time", "once", "spins", "add", None, 1, 500, 0, None, 210),
]
# (id, title, category, metric, operator, rarity, target, reward coins, gems, item, hidden, auto_claim,
#  precondition, position); a precondition comes before the achievements that name it
ACHIEVEMENTS = [
    ("first_spin", "First spin", "slots", "spins", "add", None, 1, 100, 0, None, False, True, None, 10),
    ("spins_100", "100 spins", "slots", "spins", "add", None, 100, 1000, 0, None, False, False, "first_spin", 20),
    ("spins_1000", "1,000 spins", "slots", "spins", "add", None, 1000, 0, 10, None, False, False, "spins_100", 30),
    ("first_win", "First win", "slots", "wins", "add", None, 1, 100, 0, None, False, True, None, 40),
    ("wins_100", "100 wins", "slots", "wins", "add", None, 100, 2000, 0, None, False, False, "first_win", 50),
    (
        "big_win_1000",
        "Win 1,000 coins in one spin",
        "slots",
        "coins_won",
        "max",
        None,
        1000,
        0,
        5,
        None,
        False,
        False,
        None,
        60,
    ),
    (
        "high_roller",
        "Wager 100,000 coins",
        "slots",
        "coins_wagered",
        "add",
        None,
        100000,
        0,
        20,
        None,
        False,
        False,
        None,
        70,
    ),
    (
        "jackpot_hunter",
        "Win 10,000 coins in one spin",
        "slots",
        "coins_won",
        "max",
        None,
        10000,
        0,
        50,
        None,
        True,
        False,
        None,
        80,
    ),
    ("first_pull", "First gacha pull", "gacha", "gacha_pulls", "add", None, 1, 100, 0, None, False, True, None, 110),
    ("pulls_100", "100 gacha items", "gacha", "gacha_pulls", "add", None, 100, 0, 20, None, False, False, None, 120),
    (
        "first_epic",
        "First Epic item",
        "gacha",
        "pulls_of_rarity",
        "add",
        "Epic",
        1,
        0,
        10,
        None,
        False,
        False,
        None,
        130,
    ),
    (
        "first_legendary",
        "First Legendary item",
        "gacha",
        "pulls_of_rarity",
        "add",
        "Legendary",
        1,
        0,
        50,
        None,
        True,
        False,
        None,
        140,
    ),
    ("streak_7", "A 7-day streak", "loyalty", "streak_days", "max", None, 7, 0, 10, None, False, False, None, 210),
    (
        "streak_30",
        "A 30-day streak",
        "loyalty",
        "streak_days",
        "max",
        None,
        30,
        0,
        50,
        None,
        False,
        False,
        "streak_7",
        220,
    ),
    ("logins_10", "Sign in 10 times", "loyalty", "logins", "add", None, 10, 500, 0, None, False, False, None, 230),
    (
        "missions_10",
        "Complete 10 missions",
        "loyalty",
        "missions_completed",
        "add",
        None,
        10,
        1000,
        0,
        None,
        False,
        False,
        None,
        240,
    ),
    (
        "missions_100",
        "Complete 100 missions",
        "loyalty",
        "missions_completed",
        "add",
        None,
        100,
        0,
        20,
        None,
        False,
        False,
        "missions_10",
        250,
    ),
    (
        "first_purchase",
        "First purchase",
        "shop",
        "purchases",
        "add",
        None,
        1,
        0,
        0,
        "streak_shield",
        False,
        False,
        None,
        310,
    ),
    ("gems_1000", "Buy 1,000 gems", "shop", "gems_bought", "add", None, 1000, 5000, 0, None, False, False, None, 320),
]


def upgrade() -> None:
    op.create_table(
        "achievement_definitions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=8), nullable=False),
        sa.Column("rarity", sa.String(length=16), nullable=True),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("reward_coins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_gems", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_item_id", sa.String(length=64), nullable=True),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("auto_claim", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("precondition_id", sa.String(length=64), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reward_coins >= 0 AND reward_gems >= 0", name=op.f("ck_achievement_definitions_reward_valid")
        ),
        sa.CheckConstraint("target > 0", name=op.f("ck_achievement_definitions_target_positive")),
        sa.ForeignKeyConstraint(
            ["precondition_id"],
            ["achievement_definitions.id"],
            name=op.f("fk_achievement_definitions_precondition_id_achievement_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_definitions")),
    )
    op.create_table(
        "mission_definitions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=8), nullable=False),
        sa.Column("rarity", sa.String(length=16), nullable=True),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("reward_coins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_gems", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_item_id", sa.String(length=64), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("reward_coins >= 0 AND reward_gems >= 0", name=op.f("ck_mission_definitions_reward_valid")),
        sa.CheckConstraint("target > 0", name=op.f("ck_mission_definitions_target_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_definitions")),
    )
    op.create_table(
        "achievement_progress",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=64), nullable=False),
        sa.Column("progress", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("unlocked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("claimed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "claimed_at IS NULL OR unlocked_at IS NOT NULL", name=op.f("ck_achievement_progress_claimed_unlocked")
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievement_definitions.id"],
            name=op.f("fk_achievement_progress_achievement_id_achievement_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_achievement_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "achievement_id", name=op.f("pk_achievement_progress")),
    )
    op.create_table(
        "mission_progress",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("mission_id", sa.String(length=64), nullable=False),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("completed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("claimed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "claimed_at IS NULL OR completed_at IS NOT NULL", name=op.f("ck_mission_progress_claimed_completed")
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["mission_definitions.id"], name=op.f("fk_mission_progress_mission_id_mission_definitions")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mission_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "mission_id", "period_key", name=op.f("pk_mission_progress")),
    )
    op.create_table(
        "progress_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("counted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_progress_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_progress_events")),
    )
    with op.batch_alter_table("progress_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_events_counted_at"), ["counted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_events_user_id"), ["user_id"], unique=False)

    op.create_table(
        "progress_players",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_progress_players_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_progress_players")),
    )
    _seed()


_STAMPS = ("created_at", "updated_at")
_TYPES = {"hidden": sa.Boolean(), "auto_claim": sa.Boolean(), "target": sa.BigInteger()}


def _seed() -> None:
    now = datetime.now(UTC)
    common = ("metric", "operator", "rarity", "target", "reward_coins", "reward_gems", "reward_item_id")
    mission_columns = ("id", "title", "period", *common, "position")
    achievement_columns = ("id", "title", "category", *common, "hidden", "auto_claim", "precondition_id", "position")
    for table, columns, rows in (
        ("mission_definitions", mission_columns, MISSIONS),
        ("achievement_definitions", achievement_columns, ACHIEVEMENTS),
    ):
        stamps = [sa.column(name, advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)) for name in _STAMPS]
        target = sa.table(table, *(sa.column(name, _TYPES.get(name)) for name in columns), *stamps)
        op.bulk_insert(
            target, [{**dict(zip(columns, row, strict=True)), "created_at": now, "updated_at": now} for row in rows]
        )


def downgrade() -> None:
    op.drop_table("progress_players")
    with op.batch_alter_table("progress_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_events_user_id"))
        batch_op.drop_index(batch_op.f("ix_progress_events_counted_at"))

    op.drop_table("progress_events")
    op.drop_table("mission_progress")
    op.drop_table("achievement_progress")
    op.drop_table("mission_definitions")
    op.drop_table("achievement_definitions")
