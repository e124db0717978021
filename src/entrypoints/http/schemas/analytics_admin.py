"""Wire formats of the operator KPIs and funnels (GET /api/admin/analytics/…)."""

from __future__ import annotations

from datetime import date

import msgspec

from src.application.analytics.funnel import FunnelQuery, FunnelStep
from src.domain.analytics.kpis import Cohort, Coins, KpiDay, KpiReport, Retention
from src.entrypoints.http.schemas.identity import Struct


class RetainedOut(Struct):
    d1: int
    d7: int
    d30: int


class RetentionOut(Struct):
    """Shares (0–1) of the signup cohorts' players active exactly 1, 7 and 30 days after signing up."""

    d1: float
    d7: float
    d30: float
    cohort_players: int
    retained: RetainedOut

    @classmethod
    def of(cls, retention: Retention) -> RetentionOut:
        kept: Cohort = retention.retained
        return cls(
            retention.d1, retention.d7, retention.d30, retention.cohort_players, RetainedOut(kept.d1, kept.d7, kept.d30)
        )


class CoinsOut(Struct):
    """The economy's faucets (`sourced`) and sinks (`sunk`, positive) in coins, in total and by ledger reason."""

    sourced: int
    sunk: int
    sourced_by_reason: dict[str, int]
    sunk_by_reason: dict[str, int]

    @classmethod
    def of(cls, coins: Coins) -> CoinsOut:
        return cls(coins.sourced, coins.sunk, coins.sourced_by_reason, coins.sunk_by_reason)


class KpiDayOut(Struct):
    """One UTC day; its ratios are over the day's active (DAU) and paying players."""

    date: date
    dau: int
    wau: int
    mau: int
    new_players: int
    paying_players: int
    revenue_cents: int
    arpu_cents: int
    arppu_cents: int
    conversion_rate: float
    retention: RetentionOut  # of the players who signed up that day
    gacha_pulls: dict[str, int]
    promo_uses: int
    coins: CoinsOut

    @classmethod
    def of(cls, day: KpiDay) -> KpiDayOut:
        return cls(
            date=day.day,
            dau=day.dau,
            wau=day.wau,
            mau=day.mau,
            new_players=day.new_players,
            paying_players=day.paying_players,
            revenue_cents=day.revenue_cents,
            arpu_cents=day.arpu_cents,
            arppu_cents=day.arppu_cents,
            conversion_rate=day.conversion_rate,
            retention=RetentionOut.of(day.retention),
            gacha_pulls=day.gacha_pulls,
            promo_uses=day.promo_uses,
            coins=CoinsOut.of(day.coins),
        )


class KpisOut(Struct):
    """DAU/WAU/MAU as of `to`; everything else over the period (ratios over its distinct active and paying
    players); revenue is captured minus refunded, in cents; gacha pulls are items pulled by rarity."""

    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
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
    retention: RetentionOut
    gacha_pulls: dict[str, int]
    promo_uses: int
    coins: CoinsOut
    series: list[KpiDayOut]

    @classmethod
    def of(cls, report: KpiReport) -> KpisOut:
        return cls(
            start=report.start,
            end=report.end,
            dau=report.dau,
            wau=report.wau,
            mau=report.mau,
            active_players=report.active_players,
            new_players=report.new_players,
            paying_players=report.paying_players,
            revenue_cents=report.revenue_cents,
            arpu_cents=report.arpu_cents,
            arppu_cents=report.arppu_cents,
            conversion_rate=report.conversion_rate,
            retention=RetentionOut.of(report.retention),
            gacha_pulls=report.gacha_pulls,
            promo_uses=report.promo_uses,
            coins=CoinsOut.of(report.coins),
            series=[KpiDayOut.of(day) for day in report.series],
        )


class FunnelStepOut(Struct):
    step: str
    players: int
    rate: float  # of the first step's players


class FunnelOut(Struct):
    """Players whose first step fell in the period, and how many of them did each next step in order within
    `window_hours` of it (ClickHouse windowFunnel)."""

    steps: list[FunnelStepOut]
    window_hours: int
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")

    @classmethod
    def of(cls, query: FunnelQuery, steps: list[FunnelStep]) -> FunnelOut:
        return cls(
            steps=[FunnelStepOut(step.step, step.players, step.rate) for step in steps],
            window_hours=query.window_hours,
            start=query.period.start,
            end=query.period.end,
        )
