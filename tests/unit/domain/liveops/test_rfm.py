"""RFM groups, churn risk and LTV: the reference rules the recompute's SQL is held to, at their boundaries."""

from __future__ import annotations

import pytest

from src.domain.liveops.rfm import Activity, RfmGroup, RfmThresholds, churn_risk, ltv_cents, rfm_group

DEFAULTS = RfmThresholds()


def _activity(**fields: int) -> Activity:
    base = {"days_since_last_play": 1, "plays_30d": 0, "plays_prev_30d": 0, "purchases_30d": 0, "plays_total": 0,
            "total_spent_cents": 0, "spent_30d_cents": 0}  # fmt: skip
    return Activity(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "group"),
    [
        ({"total_spent_cents": 50_000}, RfmGroup.WHALE),
        ({"total_spent_cents": 49_999}, RfmGroup.HIGH),
        ({"total_spent_cents": 10_000}, RfmGroup.HIGH),
        ({"plays_30d": 99, "purchases_30d": 1}, RfmGroup.HIGH),
        ({"plays_30d": 99}, RfmGroup.MEDIUM),
        ({"total_spent_cents": 1}, RfmGroup.MEDIUM),
        ({"plays_30d": 19}, RfmGroup.LOW),
        ({"days_since_last_play": 14, "total_spent_cents": 80_000}, RfmGroup.AT_RISK),
        ({"days_since_last_play": 13, "total_spent_cents": 80_000}, RfmGroup.WHALE),
        ({"days_since_last_play": 14, "plays_total": 20}, RfmGroup.AT_RISK),
        ({"days_since_last_play": 30, "plays_total": 19}, RfmGroup.LOW),
    ],
)
def test_groups_at_their_thresholds(fields: dict[str, int], group: RfmGroup) -> None:
    assert rfm_group(_activity(**fields), DEFAULTS) is group


def test_churn_risk_grows_with_recency_and_falling_play_and_is_capped() -> None:
    assert churn_risk(_activity(days_since_last_play=0)) == 0
    assert churn_risk(_activity(days_since_last_play=10)) == 20
    assert churn_risk(_activity(days_since_last_play=90)) == 60
    assert churn_risk(_activity(days_since_last_play=0, plays_prev_30d=40, plays_30d=10)) == 30
    assert churn_risk(_activity(days_since_last_play=45, plays_prev_30d=40, plays_30d=0)) == 100


def test_ltv_projects_recent_spend_discounted_by_risk() -> None:
    steady = _activity(total_spent_cents=30_000, spent_30d_cents=1_000, days_since_last_play=0)
    lapsing = _activity(total_spent_cents=30_000, spent_30d_cents=1_000, days_since_last_play=30)

    assert ltv_cents(steady, DEFAULTS) == 30_000 + 6_000
    assert ltv_cents(lapsing, DEFAULTS) == 30_000 + 6_000 * 40 // 100
