"""The progress engine's rules: counters fold facts by operator, periods follow the game's calendar (a DST zone
included), achievements unlock along their preconditions, definitions are validated field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from src.domain.engagement.achievements import (
    AchievementDefinition,
    AchievementProgress,
    check_precondition,
    unlocks,
)
from src.domain.engagement.defaults import DEFAULT_ACHIEVEMENTS, DEFAULT_MISSIONS
from src.domain.engagement.missions import Period, Prize, period_key, prize, resets_at
from src.domain.engagement.progress import Counter, Fact, Metric, Operator, counter
from src.domain.shared.errors import InvalidInput

SEOUL, NEW_YORK = ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York")
NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
FACTS = [Fact(Metric.COINS_WON, 30), Fact(Metric.SPINS, 1), Fact(Metric.COINS_WON, 80), Fact(Metric.COINS_WON, 10)]


@pytest.mark.parametrize(("operator", "expected"), [(Operator.ADD, 5 + 120), (Operator.MAX, 80), (Operator.SET, 10)])
def test_a_counter_folds_only_its_metric_by_its_operator(operator: Operator, expected: int) -> None:
    sut = Counter(Metric.COINS_WON, operator)

    assert sut.fold(5, FACTS) == expected


def test_a_rarity_counter_counts_only_its_rarity() -> None:
    facts = [Fact(Metric.PULLS_OF_RARITY, 2, "Epic"), Fact(Metric.PULLS_OF_RARITY, 7, "Common")]

    assert Counter(Metric.PULLS_OF_RARITY, Operator.ADD, "Epic").fold(0, facts) == 2


def test_daily_periods_turn_at_local_midnight_and_weekly_ones_on_local_monday() -> None:
    sunday_late = datetime(2031, 5, 11, 14, 59, tzinfo=UTC)  # Sunday 23:59 in Seoul
    monday = datetime(2031, 5, 11, 15, 0, tzinfo=UTC)  # Monday 00:00 in Seoul

    assert (period_key(Period.DAILY, sunday_late, SEOUL), period_key(Period.DAILY, monday, SEOUL)) == (
        "2031-05-11",
        "2031-05-12",
    )
    assert (period_key(Period.WEEKLY, sunday_late, SEOUL), period_key(Period.WEEKLY, monday, SEOUL)) == (
        "2031-05-05",
        "2031-05-12",
    )
    assert resets_at(Period.DAILY, sunday_late, SEOUL) == resets_at(Period.WEEKLY, sunday_late, SEOUL) == monday
    assert resets_at(Period.WEEKLY, monday, SEOUL) == datetime(2031, 5, 18, 15, 0, tzinfo=UTC)
    assert (period_key(Period.ONCE, monday, SEOUL), resets_at(Period.ONCE, monday, SEOUL)) == ("once", None)


def test_a_reset_across_a_dst_change_is_still_local_midnight() -> None:
    saturday = datetime(2031, 3, 8, 17, 0, tzinfo=UTC)  # Saturday noon in New York; clocks spring forward Sunday

    assert resets_at(Period.DAILY, saturday, NEW_YORK) == datetime(2031, 3, 9, 5, 0, tzinfo=UTC)
    assert resets_at(Period.WEEKLY, saturday, NEW_YORK) == datetime(2031, 3, 10, 4, 0, tzinfo=UTC)


def _achievement(name: str, target: int, precondition: str | None = None, auto: bool = False) -> AchievementDefinition:
    return AchievementDefinition(name, name, "tests", Counter(Metric.SPINS), target, Prize(coins=1),
                                 precondition=precondition, auto_claim=auto)  # fmt: skip


def test_a_chain_unlocks_in_order_in_one_call_once_the_precondition_is_reached() -> None:
    chain = [_achievement("b", 1, precondition="a"), _achievement("a", 3, auto=True)]
    rows = {"a": AchievementProgress("u", "a", 2), "b": AchievementProgress("u", "b", 2)}

    locked = unlocks(chain, dict(rows), NOW)
    rows["a"] = AchievementProgress("u", "a", 3)
    unlocked = unlocks(chain, rows, NOW)

    assert locked == []
    assert [a.achievement_id for a in unlocked] == ["a", "b"]
    assert (rows["a"].unlocked_at, rows["a"].claimed_at) == (NOW, NOW)  # auto_claim: claimed at the unlock
    assert (rows["b"].unlocked_at, rows["b"].claimed_at) == (NOW, None)
    assert unlocks(chain, rows, NOW) == []  # an unlock happens once


def test_a_disabled_precondition_holds_nothing_back() -> None:
    rows = {"b": AchievementProgress("u", "b", 1)}

    assert [a.achievement_id for a in unlocks([_achievement("b", 1, precondition="a")], rows, NOW)] == ["b"]


def test_a_precondition_must_exist_and_close_no_cycle() -> None:
    stored = {"a": None, "b": "a"}

    check_precondition("c", "b", stored)
    with pytest.raises(InvalidInput):
        check_precondition("c", "nobody", stored)
    with pytest.raises(InvalidInput):
        check_precondition("a", "b", stored)


@pytest.mark.parametrize(
    ("metric", "operator", "rarity"),
    [("hugs", "add", None), ("spins", "double", None), ("pulls_of_rarity", "add", None), ("spins", "add", "Epic")],
)
def test_a_counter_is_validated(metric: str, operator: str, rarity: str | None) -> None:
    with pytest.raises(InvalidInput):
        counter(metric, operator, rarity)


@pytest.mark.parametrize(("coins", "gems", "item"), [(0, 0, None), (-1, 5, None), (1_000_001, 0, None),
                                                     (0, 10_001, None), (0, 0, "golden_car")])  # fmt: skip
def test_a_prize_is_within_limits_and_never_empty(coins: int, gems: int, item: str | None) -> None:
    with pytest.raises(InvalidInput):
        prize(coins, gems, item)


def test_the_shipped_definitions_are_enough_and_valid() -> None:
    periods = [mission.period for mission in DEFAULT_MISSIONS]
    assert periods.count(Period.DAILY) >= 6
    assert periods.count(Period.WEEKLY) >= 4
    assert len(DEFAULT_ACHIEVEMENTS) >= 15
    assert len({a.category for a in DEFAULT_ACHIEVEMENTS}) >= 3
    stored: dict[str, str | None] = {}
    for achievement in DEFAULT_ACHIEVEMENTS:  # each precondition is shipped before the achievements naming it
        check_precondition(achievement.achievement_id, achievement.precondition, stored)
        stored[achievement.achievement_id] = achievement.precondition
    for definition in (*DEFAULT_MISSIONS, *DEFAULT_ACHIEVEMENTS):
        c = definition.counter
        assert counter(c.metric.value, c.operator.value, c.rarity) == c
        assert prize(definition.prize.coins, definition.prize.gems, definition.prize.item_id) == definition.prize
