"""Wire formats of the operator KPIs and funnels (GET /api/admin/analytics/…)."""

from __future__ import annotations

from datetime import date

import msgspec

from src.application.analytics.funnel import FunnelQuery, FunnelStep
from src.domain.analytics.kpis import KpiReport
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


class CoinsOut(Struct):
    """The economy's faucets (`sourced`) and sinks (`sunk`, positive) in coins, in total and by ledger reason."""

    sourced: int
    sunk: int
    sourced_by_reason: dict[str, int]
    sunk_by_reason: dict[str, int]


class KpiDayOut(Struct):
    """One UTC day; its ratios are over the day's active (DAU) and paying players."""

    day: date = msgspec.field(name="date")
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
        """Field by field from the domain's report (by attribute name, nested alike): a field the report lacks fails
        here, loudly, instead of a hand-kept copy of every field drifting."""
        return msgspec.convert(report, cls, from_attributes=True)


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
