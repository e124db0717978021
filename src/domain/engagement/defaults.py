"""The definitions the game ships with (operators change them as data: `/api/admin/engagement/...`).

Migration 0021 stores the same rows in the database; the in-memory store starts from these.
"""

from __future__ import annotations

from src.domain.engagement.achievements import AchievementDefinition
from src.domain.engagement.missions import MissionDefinition, Period, Prize
from src.domain.engagement.progress import Counter, Metric, Operator

ADD, MAX = Operator.ADD, Operator.MAX


def _mission(
    position: int, mission_id: str, title: str, period: Period, counter: Counter, target: int, prize: Prize
) -> MissionDefinition:
    return MissionDefinition(mission_id, title, period, counter, target, prize, True, position)


DEFAULT_MISSIONS: tuple[MissionDefinition, ...] = (
    _mission(10, "daily_login", "Sign in today", Period.DAILY, Counter(Metric.LOGINS), 1, Prize(coins=100)),
    _mission(20, "daily_streak", "Tick your daily streak", Period.DAILY, Counter(Metric.STREAK_DAYS, MAX), 1,
             Prize(coins=100)),
    _mission(30, "daily_spins_20", "Spin the slot 20 times", Period.DAILY, Counter(Metric.SPINS), 20,
             Prize(coins=200)),
    _mission(40, "daily_wins_5", "Win 5 spins", Period.DAILY, Counter(Metric.WINS), 5, Prize(coins=250)),
    _mission(50, "daily_wager_2000", "Wager 2,000 coins", Period.DAILY, Counter(Metric.COINS_WAGERED), 2_000,
             Prize(coins=300)),
    _mission(60, "daily_gacha_1", "Pull the gacha once", Period.DAILY, Counter(Metric.GACHA_PULLS), 1,
             Prize(coins=200)),
    _mission(70, "daily_big_win", "Win 500 coins in one spin", Period.DAILY, Counter(Metric.COINS_WON, MAX), 500,
             Prize(gems=1)),
    _mission(110, "weekly_spins_200", "Spin the slot 200 times", Period.WEEKLY, Counter(Metric.SPINS), 200,
             Prize(coins=2_000)),
    _mission(120, "weekly_coins_won_10000", "Win 10,000 coins", Period.WEEKLY, Counter(Metric.COINS_WON), 10_000,
             Prize(gems=10)),
    _mission(130, "weekly_gacha_10", "Pull 10 gacha items", Period.WEEKLY, Counter(Metric.GACHA_PULLS), 10,
             Prize(coins=3_000)),
    _mission(140, "weekly_epic_pull", "Pull an Epic item", Period.WEEKLY,
             Counter(Metric.PULLS_OF_RARITY, ADD, "Epic"), 1, Prize(gems=15)),
    _mission(150, "weekly_purchase", "Make a purchase", Period.WEEKLY, Counter(Metric.PURCHASES), 1,
             Prize(item_id="streak_shield")),
    _mission(210, "first_spin", "Spin the slot for the first time", Period.ONCE, Counter(Metric.SPINS), 1,
             Prize(coins=500)),
)  # fmt: skip


def _achievement(
    position: int,
    achievement_id: str,
    title: str,
    category: str,
    counter: Counter,
    target: int,
    prize: Prize,
    **flags: object,
) -> AchievementDefinition:
    return AchievementDefinition(achievement_id, title, category, counter, target, prize, position=position,
                                 **flags)  # type: ignore[arg-type]  # fmt: skip


DEFAULT_ACHIEVEMENTS: tuple[AchievementDefinition, ...] = (
    _achievement(10, "first_spin", "First spin", "slots", Counter(Metric.SPINS), 1, Prize(coins=100), auto_claim=True),
    _achievement(20, "spins_100", "100 spins", "slots", Counter(Metric.SPINS), 100, Prize(coins=1_000),
                 precondition="first_spin"),
    _achievement(30, "spins_1000", "1,000 spins", "slots", Counter(Metric.SPINS), 1_000, Prize(gems=10),
                 precondition="spins_100"),
    _achievement(40, "first_win", "First win", "slots", Counter(Metric.WINS), 1, Prize(coins=100), auto_claim=True),
    _achievement(50, "wins_100", "100 wins", "slots", Counter(Metric.WINS), 100, Prize(coins=2_000),
                 precondition="first_win"),
    _achievement(60, "big_win_1000", "Win 1,000 coins in one spin", "slots", Counter(Metric.COINS_WON, MAX), 1_000,
                 Prize(gems=5)),
    _achievement(70, "high_roller", "Wager 100,000 coins", "slots", Counter(Metric.COINS_WAGERED), 100_000,
                 Prize(gems=20)),
    _achievement(80, "jackpot_hunter", "Win 10,000 coins in one spin", "slots", Counter(Metric.COINS_WON, MAX),
                 10_000, Prize(gems=50), hidden=True),
    _achievement(110, "first_pull", "First gacha pull", "gacha", Counter(Metric.GACHA_PULLS), 1, Prize(coins=100),
                 auto_claim=True),
    _achievement(120, "pulls_100", "100 gacha items", "gacha", Counter(Metric.GACHA_PULLS), 100, Prize(gems=20)),
    _achievement(130, "first_epic", "First Epic item", "gacha", Counter(Metric.PULLS_OF_RARITY, ADD, "Epic"), 1,
                 Prize(gems=10)),
    _achievement(140, "first_legendary", "First Legendary item", "gacha",
                 Counter(Metric.PULLS_OF_RARITY, ADD, "Legendary"), 1, Prize(gems=50), hidden=True),
    _achievement(210, "streak_7", "A 7-day streak", "loyalty", Counter(Metric.STREAK_DAYS, MAX), 7, Prize(gems=10)),
    _achievement(220, "streak_30", "A 30-day streak", "loyalty", Counter(Metric.STREAK_DAYS, MAX), 30,
                 Prize(gems=50), precondition="streak_7"),
    _achievement(230, "logins_10", "Sign in 10 times", "loyalty", Counter(Metric.LOGINS), 10, Prize(coins=500)),
    _achievement(240, "missions_10", "Complete 10 missions", "loyalty", Counter(Metric.MISSIONS_COMPLETED), 10,
                 Prize(coins=1_000)),
    _achievement(250, "missions_100", "Complete 100 missions", "loyalty", Counter(Metric.MISSIONS_COMPLETED), 100,
                 Prize(gems=20), precondition="missions_10"),
    _achievement(310, "first_purchase", "First purchase", "shop", Counter(Metric.PURCHASES), 1,
                 Prize(item_id="streak_shield")),
    _achievement(320, "gems_1000", "Buy 1,000 gems", "shop", Counter(Metric.GEMS_BOUGHT), 1_000, Prize(coins=5_000)),
)  # fmt: skip
