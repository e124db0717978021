"""Season leaderboard rules: the calendar period of a season in the game's timezone, and valid rank bands."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from src.domain.engagement.battlepass import TrackReward
from src.domain.engagement.seasons import Cadence, RankBand, SeasonBoard, check_board, period_of
from src.domain.shared.errors import InvalidInput

BANDS = (RankBand(1, 1, TrackReward(100)), RankBand(2, 10, TrackReward(gems=5)), RankBand(11, 100, TrackReward(10)))


def _board(cadence: Cadence = Cadence.WEEKLY, bands: tuple[RankBand, ...] = BANDS) -> SeasonBoard:
    return SeasonBoard("weekly", "Weekly", "net_coins", cadence, bands)


def test_a_weekly_season_is_the_iso_week_in_the_game_timezone() -> None:
    seoul = ZoneInfo("Asia/Seoul")

    sut = period_of(_board(), datetime(2031, 1, 5, 16, 0, tzinfo=UTC), seoul)  # Monday 01:00 in Seoul

    assert sut.season_id == "weekly.2031-W02"
    assert sut.starts_at == datetime(2031, 1, 6, tzinfo=seoul)
    assert sut.ends_at == datetime(2031, 1, 13, tzinfo=seoul)


def test_a_daily_season_is_the_calendar_day() -> None:
    sut = period_of(_board(Cadence.DAILY), datetime(2031, 1, 5, 23, 59, tzinfo=UTC), UTC)

    assert (sut.season_id, sut.ends_at) == ("weekly.2031-01-05", datetime(2031, 1, 6, tzinfo=UTC))


@pytest.mark.parametrize(("rank", "coins", "gems"), [(1, 100, 0), (2, 0, 5), (10, 0, 5), (100, 10, 0), (101, 0, 0)])
def test_each_rank_gets_its_bands_reward(rank: int, coins: int, gems: int) -> None:
    assert _board().reward_for(rank) == TrackReward(coins, gems)


@pytest.mark.parametrize(
    ("bands", "key"),
    [
        ((), "rewards"),
        ((RankBand(0, 3, TrackReward(1)),), "rewards[0].rank_from"),
        ((RankBand(1, 5, TrackReward(1)), RankBand(5, 6, TrackReward(1))), "rewards[1].rank_from"),
        ((RankBand(3, 2, TrackReward(1)),), "rewards[0].rank_to"),
        ((RankBand(1, 1, TrackReward()),), "rewards[0]"),
        ((RankBand(1, 1, TrackReward(gems=10**6)),), "rewards[0].gems"),
    ],
)
def test_bad_bands_are_refused_naming_the_field(bands: tuple[RankBand, ...], key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_board(_board(bands=bands))

    assert refused.value.details is not None
    assert refused.value.details["fields"][0]["key"] == key
