"""Streak rules: ticks across days, resets, protection, rewards and the timezone's day boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from src.domain.engagement.errors import StreakAlreadyProtected, StreakAlreadyTicked
from src.domain.engagement.streak import (
    Streak,
    StreakReward,
    current_count,
    local_day,
    next_tick_count,
    protect,
    protection_in_force,
    reset_day,
    reward_for,
    start_of,
    tick,
)

D = date(2031, 5, 6)
SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def day(offset: int) -> date:
    return D + timedelta(days=offset)


def ticks(*offsets: int, streak: Streak | None = None) -> Streak:
    sut = streak or Streak("u1")
    for offset in offsets:
        sut = tick(sut, day(offset))
    return sut


def test_the_first_tick_starts_at_one() -> None:
    assert ticks(0) == Streak("u1", count=1, best=1, last_tick_date=D)


def test_consecutive_days_count_up_and_best_follows() -> None:
    assert (ticks(0, 1, 2, 3).count, ticks(0, 1, 2, 3).best) == (4, 4)


def test_a_second_tick_on_the_same_day_is_refused() -> None:
    with pytest.raises(StreakAlreadyTicked) as refusal:
        ticks(0, 0)
    assert refusal.value.code == "ALREADY_CLAIMED"


def test_a_missed_day_resets_to_one_and_keeps_the_best() -> None:
    sut = ticks(0, 1, 2, 4)

    assert (sut.count, sut.best, sut.last_tick_date) == (1, 3, day(4))


def test_a_protection_bought_after_the_miss_repairs_the_streak_at_todays_tick_and_is_used_up() -> None:
    missed_yesterday = ticks(0, 1)  # day 2 missed
    protected = protect(missed_yesterday, day(3))

    sut = tick(protected, day(3))

    assert protected.protected_until == day(4)
    assert (sut.count, sut.protected_until) == (3, None)


def test_a_protection_bought_in_advance_covers_tomorrow() -> None:
    protected = protect(ticks(0, 1), day(1))

    sut = tick(protected, day(3))  # day 2 missed

    assert (sut.count, sut.protected_until) == (3, None)


def test_a_protection_survives_ticks_that_need_it_not_and_covers_a_later_miss_up_to_its_date() -> None:
    protected = protect(ticks(0), day(1))  # before today's tick: protected until day 2
    kept = tick(protected, day(1))

    assert kept.protected_until == day(2)
    assert tick(kept, day(3)).count == 3  # day 2 missed, forgiven


def test_a_protection_does_not_forgive_a_day_after_its_date() -> None:
    protected = tick(tick(protect(ticks(0), day(0)), day(1)), day(2))  # protected until day 1, not needed

    assert tick(protected, day(4)).count == 1  # day 3 missed: after the protection's date


def test_a_protection_never_forgives_two_missed_days() -> None:
    protected = protect(ticks(0), day(0))

    assert tick(protected, day(3)).count == 1


def test_a_protection_in_force_cannot_be_bought_again_but_an_expired_one_can() -> None:
    protected = protect(ticks(0), day(0))

    with pytest.raises(StreakAlreadyProtected) as refusal:
        protect(protected, day(1))
    assert refusal.value.code == "ALREADY_APPLIED"
    assert protect(protected, day(2)).protected_until == day(3)


def test_status_count_is_zero_once_the_streak_is_broken() -> None:
    sut = ticks(0, 1)

    assert [current_count(sut, day(n)) for n in (1, 2, 3)] == [2, 2, 0]
    assert current_count(Streak("u1"), D) == 0


def test_status_count_holds_over_a_protected_miss() -> None:
    sut = protect(ticks(0, 1), day(1))

    assert [current_count(sut, day(n)) for n in (2, 3, 4)] == [2, 2, 0]


def test_the_next_tick_count_continues_restarts_or_waits_for_tomorrow() -> None:
    sut = ticks(0, 1)

    assert next_tick_count(sut, day(1)) == 3  # ticked today: tomorrow's tick
    assert next_tick_count(sut, day(2)) == 3
    assert next_tick_count(sut, day(3)) == 1
    assert next_tick_count(Streak("u1"), D) == 1


def test_the_reset_day_is_two_days_after_the_last_tick_three_when_protected() -> None:
    sut = ticks(0, 1)

    assert reset_day(sut, day(1)) == day(3)
    assert reset_day(protect(sut, day(1)), day(1)) == day(4)
    assert reset_day(sut, day(3)) is None  # already broken
    assert reset_day(Streak("u1"), D) is None


def test_a_protection_shows_while_in_force_or_while_it_repairs_yesterday() -> None:
    bought_early = protect(ticks(0), day(0))  # until day 1

    assert protection_in_force(bought_early, day(1)) == day(1)
    assert protection_in_force(bought_early, day(2)) == day(1)  # day 1 missed: it keeps the streak alive today
    assert protection_in_force(tick(bought_early, day(1)), day(2)) is None  # not needed, expired
    assert protection_in_force(ticks(0), day(0)) is None


@pytest.mark.parametrize(
    ("count", "reward"),
    [
        (1, StreakReward(100, 0)),
        (6, StreakReward(600, 0)),
        (7, StreakReward(700, 5)),
        (8, StreakReward(700, 0)),
        (14, StreakReward(700, 5)),
        (21, StreakReward(700, 5)),
    ],
)
def test_rewards_grow_to_seven_days_with_gems_every_seventh(count: int, reward: StreakReward) -> None:
    assert reward_for(count) == reward


def test_the_calendar_day_is_the_streak_timezones() -> None:
    late_utc = datetime(2031, 5, 6, 15, 30, tzinfo=UTC)  # 00:30 on May 7 in Seoul, 11:30 on May 6 in New York

    assert local_day(late_utc, SEOUL) == date(2031, 5, 7)
    assert local_day(late_utc, NEW_YORK) == date(2031, 5, 6)
    assert local_day(late_utc, UTC) == date(2031, 5, 6)


def test_a_day_starts_at_local_midnight_reported_in_utc() -> None:
    assert start_of(date(2031, 5, 7), SEOUL) == datetime(2031, 5, 6, 15, 0, tzinfo=UTC)
    assert start_of(date(2031, 5, 7), NEW_YORK) == datetime(2031, 5, 7, 4, 0, tzinfo=UTC)  # EDT, UTC-4
    assert start_of(date(2031, 1, 7), NEW_YORK) == datetime(2031, 1, 7, 5, 0, tzinfo=UTC)  # EST, UTC-5


def test_ticks_a_minute_apart_across_local_midnight_are_two_days() -> None:
    before, after = datetime(2031, 5, 6, 14, 59, tzinfo=UTC), datetime(2031, 5, 6, 15, 0, tzinfo=UTC)

    sut = tick(tick(Streak("u1"), local_day(before, SEOUL)), local_day(after, SEOUL))

    assert sut.count == 2
    with pytest.raises(StreakAlreadyTicked):
        tick(tick(Streak("u1"), local_day(before, UTC)), local_day(after, UTC))
