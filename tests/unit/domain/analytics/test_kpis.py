"""The KPI report is derived from counted figures alone: ratios, rounding, sums over days, the headline day."""

from __future__ import annotations

from datetime import date

import pytest

from src.domain.analytics.kpis import Cohort, DayFigures, KpiReport, PeriodFigures, cents_per, rate

DAY1, DAY2 = date(2031, 5, 6), date(2031, 5, 7)


@pytest.mark.parametrize(
    ("cents", "players", "expected"),
    [(1000, 3, 333), (1001, 2, 501), (999, 2, 500), (-999, 2, -500), (0, 5, 0), (700, 0, 0), (5, 10, 1), (4, 10, 0)],
)
def test_cents_per_player_round_half_away_from_zero_and_zero_without_players(
    cents: int, players: int, expected: int
) -> None:
    assert cents_per(cents, players) == expected


def test_rates_have_four_digits_and_are_zero_without_a_whole() -> None:
    assert (rate(1, 3), rate(2, 3), rate(1, 0)) == (0.3333, 0.6667, 0.0)


def test_the_report_sums_days_and_takes_dau_wau_mau_from_the_last_day() -> None:
    first = DayFigures(
        DAY1,
        dau=4,
        wau=4,
        mau=4,
        new_players=3,
        paying_players=1,
        revenue_cents=999,
        promo_uses=1,
        gacha_pulls={"Common": 9, "Epic": 1},
        coins_sourced={"signup_bonus": 3000, "slot_win": 40},
        coins_sunk={"slot_bet": 70},
        cohort=Cohort(3, 2, 0, 0),
    )
    second = DayFigures(
        DAY2,
        dau=2,
        wau=5,
        mau=5,
        new_players=1,
        paying_players=1,
        revenue_cents=-499,
        gacha_pulls={"Common": 1},
        coins_sourced={"slot_win": 10},
        coins_sunk={"slot_bet": 5},
        cohort=Cohort(1),
    )

    sut = KpiReport.of(PeriodFigures((first, second), active_players=5, paying_players=2))

    assert (sut.start, sut.end, sut.dau, sut.wau, sut.mau) == (DAY1, DAY2, 2, 5, 5)
    assert (sut.new_players, sut.revenue_cents, sut.promo_uses) == (4, 500, 1)
    assert (sut.arpu_cents, sut.arppu_cents, sut.conversion_rate) == (100, 250, 0.4)
    assert sut.gacha_pulls == {"Common": 10, "Epic": 1}
    assert (sut.coins.sourced, sut.coins.sunk) == (3050, 75)
    assert sut.coins.sourced_by_reason == {"signup_bonus": 3000, "slot_win": 50}
    assert (sut.retention.cohort_players, sut.retention.d1, sut.retention.d7) == (4, 0.5, 0.0)
    assert [day.arpu_cents for day in sut.series] == [250, -250]
    assert sut.series[1].retention.cohort_players == 1
