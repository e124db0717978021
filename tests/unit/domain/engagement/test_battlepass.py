"""Battle pass rules: levels from XP, what is claimable on which track, and which seasons are valid."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.engagement.battlepass import (
    BattlePassSeason,
    PassLevel,
    PassProgress,
    Track,
    TrackReward,
    XpTable,
    check_no_overlap,
    check_season,
    claimable_levels,
    default_levels,
)
from src.domain.shared.errors import InvalidInput

START = datetime(2031, 1, 1, tzinfo=UTC)


def _season(**changes: object) -> BattlePassSeason:
    season = BattlePassSeason("s1", "Season", START, START + timedelta(days=30), default_levels(), XpTable(), 500)
    return replace(season, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("xp", "level", "to_next"), [(0, 0, 100), (99, 0, 1), (100, 1, 200), (46_500, 30, 0)])
def test_the_level_is_the_highest_threshold_reached(xp: int, level: int, to_next: int) -> None:
    sut = _season()

    assert (sut.level_for(xp), sut.xp_to_next(xp)) == (level, to_next)


def test_the_shipped_curve_has_30_rising_levels_with_both_tracks() -> None:
    levels = default_levels()

    assert [level.level for level in levels] == list(range(1, 31))
    assert all(later.xp > earlier.xp for earlier, later in itertools.pairwise(levels))
    assert all(not level.free.empty and not level.premium.empty for level in levels)
    assert check_season(_season()) == _season()


def test_premium_levels_are_claimable_only_for_a_holder_and_claimed_ones_never() -> None:
    season = _season()
    free_only, holder = PassProgress("s1", "u", 300, 2), PassProgress("s1", "u", 300, 2, premium=True)

    assert claimable_levels(season, free_only, set()) == {Track.FREE: [1, 2], Track.PREMIUM: []}
    assert claimable_levels(season, holder, {(1, Track.FREE)}) == {Track.FREE: [2], Track.PREMIUM: [1, 2]}


def test_a_level_without_a_reward_on_a_track_is_never_claimable_there() -> None:
    levels = (PassLevel(1, 10, TrackReward(), TrackReward(coins=5)),)

    got = claimable_levels(_season(levels=levels), PassProgress("s1", "u", 10, 1, premium=True), set())

    assert got == {Track.FREE: [], Track.PREMIUM: [1]}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"levels": ()}, "levels"),
        ({"levels": default_levels()[1:]}, "levels[0].level"),
        ({"levels": (PassLevel(1, 10, TrackReward(), TrackReward()), PassLevel(2, 10, TrackReward(), TrackReward()))},
         "levels[1].xp"),
        ({"levels": (PassLevel(1, 10, TrackReward(gems=10**6), TrackReward()),)}, "levels[0].free.gems"),
        ({"ends_at": START}, "ends_at"),
        ({"premium_price_gems": 0}, "premium_price_gems"),
        ({"xp": XpTable(play=-1)}, "xp_table.play"),
        ({"name": " "}, "name"),
    ],
)  # fmt: skip
def test_invalid_seasons_are_refused_naming_the_field(changes: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_season(_season(**changes))

    assert refused.value.details is not None
    assert refused.value.details["fields"][0]["key"] == key


def test_enabled_seasons_may_not_overlap_but_a_disabled_one_may() -> None:
    running = _season(season_id="a")
    overlapping = _season(season_id="b", starts_at=START + timedelta(days=29), ends_at=START + timedelta(days=60))
    after = _season(season_id="c", starts_at=START + timedelta(days=30), ends_at=START + timedelta(days=60))

    with pytest.raises(InvalidInput):
        check_no_overlap(overlapping, [running])
    check_no_overlap(after, [running])
    check_no_overlap(replace(overlapping, enabled=False), [running])
    check_no_overlap(overlapping, [replace(running, enabled=False)])
