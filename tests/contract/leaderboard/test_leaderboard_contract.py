"""Contract of the Leaderboard port: InMemoryLeaderboard and RedisLeaderboard must behave the same.

Every test that takes `sut` runs once per adapter (ids "memory" and "redis"). Then come the pure period-key
helpers, and at the end checks of expiry that only one adapter can show (Redis TTLs, the memory clock).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.application.games.leaderboard import Leaderboard, ScoredEvent, period_key, period_of_key
from src.domain.shared.errors import InvalidInput
from tests.contract.leaderboard.conftest import MakeRedisLeaderboard

MONDAY = datetime(2026, 12, 28, 10, 0, tzinfo=UTC)  # 2026-W53
TUESDAY = MONDAY + timedelta(days=1)
SUNDAY_BEFORE = datetime(2026, 12, 27, 18, 0, tzinfo=UTC)  # 2026-W52
DAY = timedelta(days=1)


async def _scores(sut: Leaderboard, board: str, period: str, now: datetime = MONDAY) -> list[tuple[str, float]]:
    return await sut.top(board, period, 100, now)


async def _given_scores(sut: Leaderboard, scores: dict[str, float], board: str = "wins") -> None:
    for user_id, score in scores.items():
        await sut.apply(f"seed-{user_id}", user_id, {board: score}, MONDAY)


# --- apply -----------------------------------------------------------------------------------------------------------


async def test_increments_accumulate_per_board_in_every_period(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"net_coins": 100, "wins": 1}, MONDAY)
    await sut.apply("e2", "alice", {"net_coins": 50.5, "wins": 1}, MONDAY + timedelta(hours=2))
    await sut.apply("e3", "bob", {"gacha_legendary": 1}, MONDAY)

    for period in ("daily", "weekly", "all_time"):
        assert await _scores(sut, "net_coins", period) == [("alice", 150.5)]
        assert await _scores(sut, "wins", period) == [("alice", 2.0)]
        assert await _scores(sut, "gacha_legendary", period) == [("bob", 1.0)]


async def test_apply_answers_true_then_false_and_a_repeated_event_counts_once(sut: Leaderboard) -> None:
    first = await sut.apply("spin-1", "alice", {"net_coins": 30}, MONDAY)

    again = await sut.apply("spin-1", "alice", {"net_coins": 30}, MONDAY)
    other_payload = await sut.apply("spin-1", "bob", {"wins": 1}, TUESDAY)

    assert (first, again, other_payload) == (True, False, False)
    assert await _scores(sut, "net_coins", "all_time") == [("alice", 30.0)]
    assert await _scores(sut, "wins", "all_time") == []


async def test_apply_many_applies_each_new_event_once_in_one_call(sut: Leaderboard) -> None:
    await sut.apply("old", "alice", {"wins": 1}, MONDAY)
    batch = [
        ScoredEvent("old", "alice", {"wins": 1}, MONDAY),
        ScoredEvent("b1", "alice", {"net_coins": 20, "wins": 1}, MONDAY),
        ScoredEvent("b1", "alice", {"net_coins": 20, "wins": 1}, MONDAY),
        ScoredEvent("b2", "bob", {"net_coins": -5}, TUESDAY),
    ]

    applied = await sut.apply_many(batch)

    assert applied == 2
    assert await _scores(sut, "wins", "all_time", TUESDAY) == [("alice", 2.0)]
    assert await _scores(sut, "net_coins", "all_time", TUESDAY) == [("alice", 20.0), ("bob", -5.0)]
    assert await _scores(sut, "net_coins", "daily", TUESDAY) == [("bob", -5.0)]


async def test_apply_many_refuses_a_bad_batch_before_applying_any_of_it(sut: Leaderboard) -> None:
    batch = [ScoredEvent("g1", "alice", {"wins": 1}, MONDAY), ScoredEvent("g2", "bob", {"losses": 1}, MONDAY)]

    with pytest.raises(InvalidInput):
        await sut.apply_many(batch)

    assert await _scores(sut, "wins", "all_time") == []
    assert await sut.apply_many([]) == 0


async def test_remove_player_takes_them_off_every_board_and_period_and_leaves_the_others(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"net_coins": 100, "wins": 1}, MONDAY)
    await sut.apply("e2", "alice", {"gacha_legendary": 1}, SUNDAY_BEFORE)
    await sut.apply("e3", "bob", {"net_coins": 40, "wins": 2}, MONDAY)

    removed = await sut.remove_player("alice")

    # net_coins and wins in three periods on Monday, gacha on Sunday's day, week and all time
    assert removed == 9
    for board in ("net_coins", "wins", "gacha_legendary"):
        for period in ("daily", "weekly", "all_time"):
            assert all(user != "alice" for user, _ in await _scores(sut, board, period))
            assert all(user != "alice" for user, _ in await _scores(sut, board, period, SUNDAY_BEFORE))
            assert await sut.rank_of(board, period, "alice", MONDAY) is None
    assert await _scores(sut, "wins", "all_time") == [("bob", 2.0)]
    assert await sut.remove_player("alice") == 0


async def test_concurrent_applies_of_one_event_count_once(sut: Leaderboard) -> None:
    answers = await asyncio.gather(*(sut.apply("spin-1", "alice", {"wins": 1}, MONDAY) for _ in range(20)))

    assert answers.count(True) == 1
    for period in ("daily", "weekly", "all_time"):
        assert await _scores(sut, "wins", period) == [("alice", 1.0)]


async def test_concurrent_distinct_events_all_count(sut: Leaderboard) -> None:
    answers = await asyncio.gather(*(sut.apply(f"spin-{n}", "alice", {"wins": 1}, MONDAY) for n in range(20)))

    assert all(answers)
    assert await _scores(sut, "wins", "all_time") == [("alice", 20.0)]


async def test_negative_increments_lower_a_score_below_zero(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"net_coins": 40}, MONDAY)
    await sut.apply("e2", "alice", {"net_coins": -100}, MONDAY)
    await sut.apply("e3", "bob", {"net_coins": -10}, MONDAY)

    scores = await _scores(sut, "net_coins", "daily")

    assert scores == [("bob", -10.0), ("alice", -60.0)]


async def test_an_event_with_no_increments_changes_no_board_but_is_remembered(sut: Leaderboard) -> None:
    first = await sut.apply("e1", "alice", {}, MONDAY)

    again = await sut.apply("e1", "alice", {"wins": 1}, MONDAY)

    assert (first, again) == (True, False)
    assert await _scores(sut, "wins", "all_time") == []


# --- periods ---------------------------------------------------------------------------------------------------------


async def test_events_on_different_days_split_daily_sets_but_share_the_week_and_all_time(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"wins": 1}, MONDAY)
    await sut.apply("e2", "alice", {"wins": 2}, TUESDAY)

    assert await _scores(sut, "wins", "daily", MONDAY) == [("alice", 1.0)]
    assert await _scores(sut, "wins", "daily", TUESDAY) == [("alice", 2.0)]
    assert await _scores(sut, "wins", "weekly", MONDAY) == [("alice", 3.0)]
    assert await _scores(sut, "wins", "all_time", TUESDAY + 400 * DAY) == [("alice", 3.0)]


async def test_a_sunday_and_the_next_monday_are_in_different_weeks(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"wins": 1}, SUNDAY_BEFORE)
    await sut.apply("e2", "alice", {"wins": 2}, MONDAY)

    assert await _scores(sut, "wins", "weekly", SUNDAY_BEFORE) == [("alice", 1.0)]
    assert await _scores(sut, "wins", "weekly", MONDAY) == [("alice", 2.0)]
    assert await _scores(sut, "wins", "all_time") == [("alice", 3.0)]


async def test_the_week_crossing_new_year_is_one_week_until_iso_week_one(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"wins": 1}, datetime(2026, 12, 31, 12, tzinfo=UTC))  # 2026-W53
    await sut.apply("e2", "alice", {"wins": 2}, datetime(2027, 1, 3, 23, 59, tzinfo=UTC))  # still 2026-W53
    await sut.apply("e3", "alice", {"wins": 4}, datetime(2027, 1, 4, 0, 0, tzinfo=UTC))  # 2027-W01

    assert await _scores(sut, "wins", "weekly", MONDAY) == [("alice", 3.0)]
    assert await _scores(sut, "wins", "weekly", datetime(2027, 1, 10, tzinfo=UTC)) == [("alice", 4.0)]


async def test_days_are_cut_in_utc_whatever_the_offset_of_the_time_given(sut: Leaderboard) -> None:
    plus_two = timezone(timedelta(hours=2))
    local_monday_morning = datetime(2026, 12, 28, 0, 30, tzinfo=plus_two)  # Sunday 22:30 UTC

    await sut.apply("e1", "alice", {"wins": 1}, local_monday_morning)

    assert await _scores(sut, "wins", "daily", SUNDAY_BEFORE) == [("alice", 1.0)]
    assert await _scores(sut, "wins", "weekly", SUNDAY_BEFORE) == [("alice", 1.0)]
    assert await _scores(sut, "wins", "daily", MONDAY) == []


# --- top and rank_of -------------------------------------------------------------------------------------------------


async def test_top_orders_by_score_then_user_id_ascending(sut: Leaderboard) -> None:
    await _given_scores(sut, {"u5": 3, "u9": 5, "u3": 3, "u2": 5, "u4": 3, "u1": 1, "u8": 3})

    scores = await _scores(sut, "wins", "daily")

    assert scores == [("u2", 5.0), ("u9", 5.0), ("u3", 3.0), ("u4", 3.0), ("u5", 3.0), ("u8", 3.0), ("u1", 1.0)]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, ["u2"]),
        (2, ["u2", "u9"]),
        (3, ["u2", "u9", "u3"]),
        (4, ["u2", "u9", "u3", "u4"]),
        (6, ["u2", "u9", "u3", "u4", "u5", "u8"]),
        (7, ["u2", "u9", "u3", "u4", "u5", "u8", "u1"]),
        (50, ["u2", "u9", "u3", "u4", "u5", "u8", "u1"]),
    ],
)
async def test_top_cuts_at_limit_keeping_the_smallest_ids_among_boundary_ties(
    sut: Leaderboard, limit: int, expected: list[str]
) -> None:
    await _given_scores(sut, {"u5": 3, "u9": 5, "u3": 3, "u2": 5, "u4": 3, "u1": 1, "u8": 3})

    scores = await sut.top("wins", "daily", limit, MONDAY)

    assert [user_id for user_id, _ in scores] == expected


async def test_top_of_an_empty_period_is_empty(sut: Leaderboard) -> None:
    await _given_scores(sut, {"u1": 1})

    scores = await sut.top("wins", "daily", 10, TUESDAY)

    assert scores == []


async def test_rank_of_matches_the_position_in_top_for_every_member(sut: Leaderboard) -> None:
    rng = random.Random(7)
    user_ids = [f"user-{n:02d}" for n in range(30)]
    rng.shuffle(user_ids)
    await _given_scores(sut, {user_id: rng.choice([-2.5, 0, 1, 1, 4]) for user_id in user_ids}, board="net_coins")

    ranking = await _scores(sut, "net_coins", "weekly")
    ranks = [await sut.rank_of("net_coins", "weekly", user_id, MONDAY) for user_id, _ in ranking]

    assert len(ranking) == 30
    assert ranking == sorted(ranking, key=lambda entry: (-entry[1], entry[0]))
    assert ranks == [(position, score) for position, (_, score) in enumerate(ranking, start=1)]


async def test_rank_of_an_absent_user_is_none(sut: Leaderboard) -> None:
    await _given_scores(sut, {"u1": 1})

    assert await sut.rank_of("wins", "daily", "nobody", MONDAY) is None
    assert await sut.rank_of("wins", "daily", "u1", TUESDAY) is None
    assert await sut.rank_of("net_coins", "daily", "u1", MONDAY) is None


async def test_top_with_a_limit_below_one_is_invalid(sut: Leaderboard) -> None:
    with pytest.raises(InvalidInput) as refused:
        await sut.top("wins", "daily", 0, MONDAY)

    assert refused.value.details == {"fields": [{"key": "limit", "message": "limit must be at least 1"}]}


# --- replace ---------------------------------------------------------------------------------------------------------


async def test_replace_swaps_one_period_and_leaves_the_others(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"wins": 5}, MONDAY)

    await sut.replace("wins", "d:2026-12-28", {"bob": 2, "carol": 7.5})

    assert await _scores(sut, "wins", "daily") == [("carol", 7.5), ("bob", 2.0)]
    assert await sut.rank_of("wins", "daily", "alice", MONDAY) is None
    assert await _scores(sut, "wins", "weekly") == [("alice", 5.0)]
    assert await _scores(sut, "wins", "all_time") == [("alice", 5.0)]


async def test_replace_of_all_time_and_of_a_week_and_then_apply_adds_on_top(sut: Leaderboard) -> None:
    await sut.replace("net_coins", "all", {"alice": 10})
    await sut.replace("net_coins", "w:2026-W53", {"alice": 1})

    await sut.apply("e1", "alice", {"net_coins": 5}, MONDAY)

    assert await _scores(sut, "net_coins", "all_time") == [("alice", 15.0)]
    assert await _scores(sut, "net_coins", "weekly") == [("alice", 6.0)]


async def test_replace_with_no_scores_empties_the_period(sut: Leaderboard) -> None:
    await sut.apply("e1", "alice", {"wins": 5}, MONDAY)

    await sut.replace("wins", "d:2026-12-28", {})

    assert await _scores(sut, "wins", "daily") == []
    assert await _scores(sut, "wins", "all_time") == [("alice", 5.0)]


@pytest.mark.parametrize("key", ["x", "d:2026-13-01", "d:26-12-01", "w:2027-W53", "w:2026-W00", "all_time", ""])
async def test_replace_of_a_malformed_period_key_is_invalid(sut: Leaderboard, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await sut.replace("wins", key, {"alice": 1})

    assert refused.value.details is not None
    assert refused.value.details["fields"][0]["key"] == "period_key"


# --- validation ------------------------------------------------------------------------------------------------------


async def test_unknown_board_is_invalid_everywhere(sut: Leaderboard) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: sut.apply("e1", "alice", {"losses": 1}, MONDAY),
        lambda: sut.top("losses", "daily", 10, MONDAY),
        lambda: sut.rank_of("losses", "daily", "alice", MONDAY),
        lambda: sut.replace("losses", "all", {"alice": 1}),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as refused:
            await call()

        assert refused.value.details is not None
        assert refused.value.details["fields"][0]["key"] == "board"


async def test_unknown_period_is_invalid(sut: Leaderboard) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: sut.top("wins", "monthly", 10, MONDAY),
        lambda: sut.rank_of("wins", "monthly", "alice", MONDAY),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as refused:
            await call()

        assert refused.value.details is not None
        assert refused.value.details["fields"][0]["key"] == "period"


async def test_a_refused_event_is_not_remembered(sut: Leaderboard) -> None:
    with pytest.raises(InvalidInput):
        await sut.apply("e1", "alice", {"wins": 1, "losses": 1}, MONDAY)

    applied = await sut.apply("e1", "alice", {"wins": 1}, MONDAY)

    assert applied is True
    assert await _scores(sut, "wins", "all_time") == [("alice", 1.0)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
async def test_a_score_that_is_not_finite_is_invalid(sut: Leaderboard, bad: float) -> None:
    with pytest.raises(InvalidInput):
        await sut.apply("e1", "alice", {"wins": bad}, MONDAY)
    with pytest.raises(InvalidInput):
        await sut.replace("wins", "all", {"alice": bad})

    assert await _scores(sut, "wins", "all_time") == []


# --- period keys (pure) ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "daily", "weekly"),
    [
        (datetime(2026, 12, 27, 23, 59, 59, tzinfo=UTC), "d:2026-12-27", "w:2026-W52"),  # Sunday
        (datetime(2026, 12, 28, 0, 0, tzinfo=UTC), "d:2026-12-28", "w:2026-W53"),  # Monday
        (datetime(2027, 1, 3, 23, 59, 59, tzinfo=UTC), "d:2027-01-03", "w:2026-W53"),  # ISO year 2026
        (datetime(2027, 1, 4, 0, 0, tzinfo=UTC), "d:2027-01-04", "w:2027-W01"),
        (datetime(2025, 12, 29, 8, 0, tzinfo=UTC), "d:2025-12-29", "w:2026-W01"),  # ISO year 2026 starts in 2025
        (datetime(2026, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=3))), "d:2026-03-01", "w:2026-W09"),
    ],
)
def test_period_keys_follow_utc_days_and_iso_weeks(when: datetime, daily: str, weekly: str) -> None:
    keys = (period_key("daily", when), period_key("weekly", when), period_key("all_time", when))

    assert keys == (daily, weekly, "all")
    assert (period_of_key(daily), period_of_key(weekly), period_of_key("all")) == ("daily", "weekly", "all_time")


def test_period_key_of_an_unknown_period_is_invalid() -> None:
    with pytest.raises(InvalidInput) as refused:
        period_key("yearly", MONDAY)

    assert refused.value.details is not None
    assert refused.value.details["fields"][0]["key"] == "period"


# --- Redis only: expiry and instances --------------------------------------------------------------------------------


async def test_redis_sets_expiry_on_dated_sets_and_dedupe_marks_only(
    make_redis_leaderboard: MakeRedisLeaderboard, redis_client: Redis, namespace: str
) -> None:
    sut = await make_redis_leaderboard()

    await sut.apply("e1", "alice", {"wins": 1}, MONDAY)
    await sut.replace("net_coins", "d:2026-12-01", {"bob": 1})

    day_ms = 86_400_000
    ttl_ms = {
        key: await redis_client.pttl(namespace + key)
        for key in (
            "lb:wins:d:2026-12-28",
            "lb:wins:w:2026-W53",
            "lb:wins:all",
            "lbseen:e1",
            "lb:net_coins:d:2026-12-01",
        )
    }
    assert 3 * day_ms - 60_000 < ttl_ms["lb:wins:d:2026-12-28"] <= 3 * day_ms
    assert 15 * day_ms - 60_000 < ttl_ms["lb:wins:w:2026-W53"] <= 15 * day_ms
    assert ttl_ms["lb:wins:all"] == -1  # exists and never expires
    assert 8 * day_ms - 60_000 < ttl_ms["lbseen:e1"] <= 8 * day_ms
    assert 3 * day_ms - 60_000 < ttl_ms["lb:net_coins:d:2026-12-01"] <= 3 * day_ms


async def test_redis_instances_on_one_namespace_count_an_event_once(
    make_redis_leaderboard: MakeRedisLeaderboard,
) -> None:
    sut = await make_redis_leaderboard()
    other_instance = await make_redis_leaderboard()

    answers = await asyncio.gather(
        *(
            instance.apply("spin-1", "alice", {"wins": 1}, MONDAY)
            for _ in range(10)
            for instance in (sut, other_instance)
        )
    )

    assert answers.count(True) == 1
    assert await other_instance.top("wins", "all_time", 10, MONDAY) == [("alice", 1.0)]


# --- memory only: expiry on its clock --------------------------------------------------------------------------------


class _FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_dedupe_marks_expire_after_eight_days() -> None:
    clock = _FakeMonotonic()
    sut = InMemoryLeaderboard(monotonic=clock)
    await sut.apply("e1", "alice", {"wins": 1}, MONDAY)

    clock.now += timedelta(days=8).total_seconds() - 1
    before_expiry = await sut.apply("e1", "alice", {"wins": 1}, MONDAY)
    clock.now += 1
    after_expiry = await sut.apply("e1", "alice", {"wins": 1}, MONDAY)

    assert (before_expiry, after_expiry) == (False, True)


async def test_memory_dated_sets_expire_and_all_time_stays() -> None:
    clock = _FakeMonotonic()
    sut = InMemoryLeaderboard(monotonic=clock)
    await sut.apply("e1", "alice", {"wins": 1}, MONDAY)

    clock.now += timedelta(days=3).total_seconds()
    daily, weekly = await sut.top("wins", "daily", 5, MONDAY), await sut.top("wins", "weekly", 5, MONDAY)
    clock.now += timedelta(days=12).total_seconds()
    late_weekly, all_time = await sut.top("wins", "weekly", 5, MONDAY), await sut.top("wins", "all_time", 5, MONDAY)

    assert (daily, weekly) == ([], [("alice", 1.0)])
    assert (late_weekly, all_time) == ([], [("alice", 1.0)])
