"""An experiment's scorecard: each variant against the control, and a Sample Ratio Mismatch check.

SRM: Pearson's chi-square of the exposures against what the weights promise. With several phases the expectation
is phase by phase (the players a phase exposed, shared by that phase's weights), since a new split changes only the
players it assigns. Flagged at p < 0.001 (SRM_ALPHA): strict enough that a healthy experiment checked every day for
a year rarely raises it falsely, while a real 60/40-vs-50/50 split crosses it within a few hundred players.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from src.domain.liveops.experiments import Experiment
from src.domain.liveops.statistics import Arm, goodness_of_fit_p, two_proportion_p, welch_p

SRM_ALPHA = 0.001


@dataclass(frozen=True)
class VariantResult:
    variant: str
    is_control: bool
    exposed: int
    converted: int
    conversion_rate: float
    revenue_cents: int
    revenue_per_exposed_cents: float
    conversion_lift: float | None  # treatment rate − control rate (absolute); None for the control
    p_value: float | None  # two-proportion z-test against the control; None for the control or without evidence
    revenue_difference_cents: float | None  # revenue per exposed − the control's
    revenue_p_value: float | None  # Welch's t-test against the control


@dataclass(frozen=True)
class SampleRatioCheck:
    p_value: float | None
    flagged: bool
    expected: dict[str, float]


@dataclass(frozen=True)
class Scorecard:
    variants: tuple[VariantResult, ...]
    srm: SampleRatioCheck


def _result(name: str, arm: Arm, control: Arm, is_control: bool) -> VariantResult:
    return VariantResult(
        variant=name,
        is_control=is_control,
        exposed=arm.exposed,
        converted=arm.converted,
        conversion_rate=arm.rate,
        revenue_cents=arm.revenue,
        revenue_per_exposed_cents=arm.mean_revenue,
        conversion_lift=None if is_control else arm.rate - control.rate,
        p_value=None if is_control else two_proportion_p(control, arm),
        revenue_difference_cents=None if is_control else arm.mean_revenue - control.mean_revenue,
        revenue_p_value=None if is_control else welch_p(control, arm),
    )


def sample_ratio(experiment: Experiment, exposed: Mapping[tuple[str, int], int]) -> SampleRatioCheck:
    """`exposed`: players exposed by (variant, phase number)."""
    names = [v.name for v in experiment.variants]
    expected = dict.fromkeys(names, 0.0)
    for phase in experiment.phases:
        players = sum(exposed.get((name, phase.number), 0) for name in names)
        total = sum(phase.weights)
        for name, weight in zip(names, phase.weights, strict=True):
            expected[name] += players * weight / total
    observed = [sum(n for (name, _), n in exposed.items() if name == variant) for variant in names]
    p = goodness_of_fit_p(observed, [expected[name] for name in names])
    return SampleRatioCheck(p, p is not None and p < SRM_ALPHA, expected)


def scorecard(experiment: Experiment, arms: Mapping[str, Arm], exposed: Mapping[tuple[str, int], int]) -> Scorecard:
    """`arms`: each variant's players (a variant nobody reached counts as empty)."""
    control = arms.get(experiment.control.name, Arm(0))
    results = tuple(
        _result(v.name, arms.get(v.name, Arm(0)), control, index == 0) for index, v in enumerate(experiment.variants)
    )
    return Scorecard(results, sample_ratio(experiment, exposed))
