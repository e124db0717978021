"""Operator KPIs: the figures counted per UTC day (by the OLAP store, or by PostgreSQL for a cross-check), and the
report derived from them. Ratios are derived here only, so any two sources of equal counts give equal reports.

Definitions (README, "Operator KPIs"):
- active player: a player (an account that signed up; an operator's account made by `create-admin` is none) who
  did something on the day (signed up, logged in, spun, pulled, tracked an action, ticked the streak, or tried a
  purchase); DAU / WAU / MAU are distinct active players on the day / the 7 / the 30 days ending
  on it; the period's headline figures are those of its last day;
- revenue: captured purchase amounts on the capture day, minus the refunds of captured purchases on the refund day;
- paying player: had a capture; ARPU = revenue / active players, ARPPU = revenue / paying players, conversion =
  paying / active (over the period, or the day in the series);
- retention Dn of a signup cohort (the players who signed up on a day): the share active exactly n days later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

RETENTION_DAYS = (1, 7, 30)
RATE_DIGITS = 4


@dataclass(frozen=True)
class Cohort:
    """Players who signed up on one day, and how many of them were active 1, 7 and 30 days later."""

    players: int = 0
    d1: int = 0
    d7: int = 0
    d30: int = 0

    def __add__(self, other: Cohort) -> Cohort:
        return Cohort(self.players + other.players, self.d1 + other.d1, self.d7 + other.d7, self.d30 + other.d30)


@dataclass(frozen=True)
class DayFigures:
    """What was counted on one UTC day (all zero on a day with no events)."""

    day: date
    dau: int = 0
    wau: int = 0
    mau: int = 0
    new_players: int = 0
    paying_players: int = 0
    revenue_cents: int = 0
    promo_uses: int = 0
    gacha_pulls: Mapping[str, int] = field(default_factory=dict)  # items pulled, by rarity
    coins_sourced: Mapping[str, int] = field(default_factory=dict)  # by ledger reason
    coins_sunk: Mapping[str, int] = field(default_factory=dict)  # by ledger reason, positive
    cohort: Cohort = field(default_factory=Cohort)


@dataclass(frozen=True)
class PeriodFigures:
    """A period's days in order, and the distinct players over the whole period (not sums of days)."""

    days: tuple[DayFigures, ...]
    active_players: int
    paying_players: int


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def cents_per(total_cents: int, players: int) -> int:
    """Whole cents, half away from zero; 0 when there are no players."""
    if players <= 0:
        return 0
    magnitude = (2 * abs(total_cents) + players) // (2 * players)
    return magnitude if total_cents >= 0 else -magnitude


def rate(part: int, whole: int) -> float:
    return round(part / whole, RATE_DIGITS) if whole > 0 else 0.0


def summed(mappings: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for mapping in mappings:
        total.update(mapping)
    return {key: value for key, value in sorted(total.items()) if value}


@dataclass(frozen=True)
class Retention:
    d1: float
    d7: float
    d30: float
    cohort_players: int
    retained: Cohort

    @classmethod
    def of(cls, cohort: Cohort) -> Retention:
        players = cohort.players
        return cls(rate(cohort.d1, players), rate(cohort.d7, players), rate(cohort.d30, players), players, cohort)


@dataclass(frozen=True)
class Coins:
    sourced: int
    sunk: int
    sourced_by_reason: dict[str, int]
    sunk_by_reason: dict[str, int]

    @classmethod
    def of(cls, sourced: Iterable[Mapping[str, int]], sunk: Iterable[Mapping[str, int]]) -> Coins:
        by_source, by_sink = summed(sourced), summed(sunk)
        return cls(sum(by_source.values()), sum(by_sink.values()), by_source, by_sink)


@dataclass(frozen=True)
class KpiDay:
    """One day of the series; its ratios are over the day's active (DAU) and paying players."""

    day: date
    dau: int
    wau: int
    mau: int
    new_players: int
    paying_players: int
    revenue_cents: int
    arpu_cents: int
    arppu_cents: int
    conversion_rate: float
    retention: Retention
    gacha_pulls: dict[str, int]
    promo_uses: int
    coins: Coins

    @classmethod
    def of(cls, figures: DayFigures) -> KpiDay:
        return cls(
            day=figures.day,
            dau=figures.dau,
            wau=figures.wau,
            mau=figures.mau,
            new_players=figures.new_players,
            paying_players=figures.paying_players,
            revenue_cents=figures.revenue_cents,
            arpu_cents=cents_per(figures.revenue_cents, figures.dau),
            arppu_cents=cents_per(figures.revenue_cents, figures.paying_players),
            conversion_rate=rate(figures.paying_players, figures.dau),
            retention=Retention.of(figures.cohort),
            gacha_pulls=summed([figures.gacha_pulls]),
            promo_uses=figures.promo_uses,
            coins=Coins.of([figures.coins_sourced], [figures.coins_sunk]),
        )


@dataclass(frozen=True)
class KpiReport:
    """The period's figures (DAU/WAU/MAU as of its last day; ratios over the period's distinct players)."""

    start: date
    end: date
    dau: int
    wau: int
    mau: int
    active_players: int
    new_players: int
    paying_players: int
    revenue_cents: int
    arpu_cents: int
    arppu_cents: int
    conversion_rate: float
    retention: Retention
    gacha_pulls: dict[str, int]
    promo_uses: int
    coins: Coins
    series: tuple[KpiDay, ...]

    @classmethod
    def of(cls, figures: PeriodFigures) -> KpiReport:
        days, last = figures.days, figures.days[-1]
        revenue = sum(day.revenue_cents for day in days)
        return cls(
            start=days[0].day,
            end=last.day,
            dau=last.dau,
            wau=last.wau,
            mau=last.mau,
            active_players=figures.active_players,
            new_players=sum(day.new_players for day in days),
            paying_players=figures.paying_players,
            revenue_cents=revenue,
            arpu_cents=cents_per(revenue, figures.active_players),
            arppu_cents=cents_per(revenue, figures.paying_players),
            conversion_rate=rate(figures.paying_players, figures.active_players),
            retention=Retention.of(sum((day.cohort for day in days), Cohort())),
            gacha_pulls=summed(day.gacha_pulls for day in days),
            promo_uses=sum(day.promo_uses for day in days),
            coins=Coins.of((day.coins_sourced for day in days), (day.coins_sunk for day in days)),
            series=tuple(KpiDay.of(day) for day in days),
        )
