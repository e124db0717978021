"""Active play time: gaps under IDLE_GAP count, a longer pause starts a new sitting, the UTC day resets the count;
the play-time limit refuses once reached; the reality check is due once per interval of a sitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.limits.model import LimitReached
from src.domain.limits.play_time import IDLE_GAP, PlayClock, check_play_time

NOON = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


def played(clock: PlayClock, *offsets_seconds: float, check_minutes: int | None = None) -> tuple[PlayClock, int]:
    """The clock after plays at NOON + each offset, and how many reality checks came due."""
    due = 0
    for offset in offsets_seconds:
        clock, now_due = clock.tick(NOON + timedelta(seconds=offset), check_minutes)
        due += now_due
    return clock, due


def test_gaps_within_a_sitting_count_and_a_long_pause_counts_nothing() -> None:
    gap = IDLE_GAP.total_seconds()
    clock, _ = played(PlayClock("p"), 0, 60, 120, 120 + gap + 1, 120 + gap + 31)

    assert clock.active_seconds == 150  # 60 + 60, then a new sitting, then 30
    assert clock.session_started_at == NOON + timedelta(seconds=120 + gap + 1)
    assert clock.active_today(NOON + timedelta(seconds=120 + gap + 41)) == 160  # the sitting's time up to now
    assert clock.active_today(NOON + timedelta(seconds=120 + 3 * gap)) == 150  # walked away: no more


def test_the_utc_day_resets_the_count_and_a_gap_over_midnight_is_split() -> None:
    before_midnight = datetime(2031, 3, 4, 23, 59, tzinfo=UTC)
    clock, _ = PlayClock("p").tick(before_midnight - timedelta(minutes=1), None)
    clock, _ = clock.tick(before_midnight, None)
    clock, _ = clock.tick(before_midnight + timedelta(minutes=2), None)

    assert clock.active_seconds == 60  # 00:00 to 00:01 of the new day
    assert clock.day == before_midnight.date() + timedelta(days=1)


def test_the_limit_refuses_once_reached_until_midnight_utc() -> None:
    clock, _ = played(PlayClock("p"), *range(0, 601, 60))  # ten minutes of play

    check_play_time(11, clock, NOON + timedelta(seconds=600))
    with pytest.raises(LimitReached) as refused:
        check_play_time(10, clock, NOON + timedelta(seconds=600))
    with pytest.raises(LimitReached):
        check_play_time(10, clock, NOON + timedelta(hours=5))  # a pause does not give time back

    assert refused.value.details == {
        "limit": 10,
        "period": "daily",
        "resets_at": "2031-03-05T00:00:00+00:00",
        "kind": "play_minutes",
    }
    check_play_time(10, clock, datetime(2031, 3, 5, 0, 0, 1, tzinfo=UTC))  # the next day starts at nothing


def test_a_reality_check_is_due_once_per_interval_of_a_sitting() -> None:
    clock, due = played(PlayClock("p"), *range(0, 25 * 60 + 1, 30), check_minutes=10)

    assert due == 2  # at 10 and at 20 minutes
    assert clock.checks_sent == 2
    later, due_after_pause = played(clock, 40 * 60, *range(40 * 60, 50 * 60 + 1, 60), check_minutes=10)
    assert due_after_pause == 1  # a new sitting counts from its own start
    assert later.checks_sent == 1
    _, none = played(PlayClock("p"), *range(0, 25 * 60 + 1, 30))
    assert none == 0
