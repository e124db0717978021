"""RFM scoring, LTV and churn risk: the rules the segment recompute applies to every player (in SQL, set-based;
these functions are the reference it is tested against).

Inputs per player, from PostgreSQL (the record: captured purchases less refunds, and the game history):
- recency `days_since_last_play`: whole days since the last play or captured purchase (since signup if neither);
- frequency `plays_30d + purchases_30d`, and `plays_prev_30d` (days 30-59) for the trend;
- monetary `total_spent_cents` (net, to date) and `spent_30d_cents`.

Groups, the first that holds wins (thresholds are `RfmThresholds`, defaults below):
1. At-risk: lapsed (`days_since_last_play >= at_risk_days`) after having engaged (spent, or `engaged_plays` plays);
2. Whale: `total_spent_cents >= whale_cents`;
3. High: `total_spent_cents >= high_cents` or frequency `>= high_frequency`;
4. Medium: `total_spent_cents > 0` or frequency `>= medium_frequency`;
5. Low: everyone else (new, or lapsed without having engaged).

Churn risk (0-100) = recency part `min(days_since_last_play, 30) * 2` (0-60) + trend part
`40 * (plays_prev_30d - plays_30d) / plays_prev_30d` when plays fell (0-40), whole numbers, capped at 100.
LTV = `total_spent_cents + spent_30d_cents * ltv_months * (100 - churn_risk) / 100`: net spend to date plus the
last 30 days' spend projected over `ltv_months`, discounted by the chance that the player leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RfmGroup(StrEnum):
    WHALE = "Whale"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    AT_RISK = "At-risk"


@dataclass(frozen=True)
class RfmThresholds:
    at_risk_days: int = 14
    engaged_plays: int = 20  # lifetime plays that make a lapsed non-payer worth winning back
    whale_cents: int = 50_000
    high_cents: int = 10_000
    high_frequency: int = 100
    medium_frequency: int = 20
    ltv_months: int = 6


@dataclass(frozen=True)
class Activity:
    days_since_last_play: int
    plays_30d: int
    plays_prev_30d: int
    purchases_30d: int
    plays_total: int
    total_spent_cents: int
    spent_30d_cents: int


def rfm_group(activity: Activity, thresholds: RfmThresholds) -> RfmGroup:
    frequency = activity.plays_30d + activity.purchases_30d
    engaged = activity.total_spent_cents > 0 or activity.plays_total >= thresholds.engaged_plays
    if activity.days_since_last_play >= thresholds.at_risk_days and engaged:
        return RfmGroup.AT_RISK
    if activity.total_spent_cents >= thresholds.whale_cents:
        return RfmGroup.WHALE
    if activity.total_spent_cents >= thresholds.high_cents or frequency >= thresholds.high_frequency:
        return RfmGroup.HIGH
    if activity.total_spent_cents > 0 or frequency >= thresholds.medium_frequency:
        return RfmGroup.MEDIUM
    return RfmGroup.LOW


def churn_risk(activity: Activity) -> int:
    recency = min(activity.days_since_last_play, 30) * 2
    trend = 0
    if activity.plays_prev_30d > activity.plays_30d:
        trend = 40 * (activity.plays_prev_30d - activity.plays_30d) // activity.plays_prev_30d
    return min(100, recency + trend)


def ltv_cents(activity: Activity, thresholds: RfmThresholds) -> int:
    projected = activity.spent_30d_cents * thresholds.ltv_months * (100 - churn_risk(activity)) // 100
    return activity.total_spent_cents + max(0, projected)
