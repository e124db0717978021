"""Wire formats of experiments: the operators' definitions and scorecards, and a player's assigned variant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.liveops.experiments import ReceivedVariant
from src.domain.liveops.experiments import MAX_VARIANTS, MAX_WEIGHT, Experiment, Goal, Variant
from src.domain.liveops.remote_config import Resolved
from src.domain.liveops.scorecard import SRM_ALPHA, Scorecard, VariantResult
from src.entrypoints.http.schemas.identity import AwareDateTime, Struct

Weight = Annotated[int, msgspec.Meta(ge=0, le=MAX_WEIGHT, description="relative share of new players")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class VariantIn(Struct, forbid_unknown_fields=True):
    name: Name
    weight: Weight
    params: dict[str, Any] | None = None  # what the server and client apply for this variant (≤ 4 KB of JSON)


class ExperimentIn(Struct, forbid_unknown_fields=True):
    """The first variant is the control; up to 9 treatments follow. `audience`: a segment's name (only its members
    take part). The schedule runs at most 366 days and must end in the future."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
    variants: Annotated[list[VariantIn], msgspec.Meta(min_length=2, max_length=MAX_VARIANTS)]
    goal: Goal
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    audience: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None

    def to_variants(self) -> tuple[Variant, ...]:
        return tuple(Variant(v.name, v.weight, v.params or {}) for v in self.variants)


class WeightIn(Struct, forbid_unknown_fields=True):
    name: Name
    weight: Weight


class PhaseIn(Struct, forbid_unknown_fields=True):
    """The same variants with new weights (a zero closes an arm to new players); assigned players keep theirs."""

    variants: Annotated[list[WeightIn], msgspec.Meta(min_length=2, max_length=MAX_VARIANTS)]

    def weights(self) -> dict[str, int]:
        return {v.name: v.weight for v in self.variants}


class VariantOut(Struct):
    name: str
    weight: int  # in the current phase
    params: dict[str, Any]
    is_control: bool


class PhaseOut(Struct):
    phase: int
    started_at: datetime
    weights: dict[str, int]


class ExperimentOut(Struct):
    id: str
    key: str
    status: str  # scheduled | running | ended | stopped
    variants: list[VariantOut]
    audience: str | None
    starts_at: datetime
    ends_at: datetime
    goal: str
    phase: int
    phases: list[PhaseOut]
    created_at: datetime
    stopped_at: datetime | None

    @classmethod
    def of(cls, experiment: Experiment, now: datetime) -> ExperimentOut:
        names = [v.name for v in experiment.variants]
        return cls(
            id=experiment.id,
            key=experiment.key,
            status=experiment.status(now).value,
            variants=[
                VariantOut(name=v.name, weight=w, params=v.params, is_control=index == 0)
                for index, (v, w) in enumerate(zip(experiment.variants, experiment.phase.weights, strict=True))
            ],
            audience=experiment.audience,
            starts_at=experiment.starts_at,
            ends_at=experiment.ends_at,
            goal=experiment.goal.value,
            phase=experiment.phase.number,
            phases=[
                PhaseOut(phase=p.number, started_at=p.started_at, weights=dict(zip(names, p.weights, strict=True)))
                for p in experiment.phases
            ],
            created_at=experiment.created_at,
            stopped_at=experiment.stopped_at,
        )


class VariantResultOut(Struct):
    variant: str
    is_control: bool
    exposed: int
    converted: int
    conversion_rate: float
    revenue_cents: int
    revenue_per_exposed_cents: float
    conversion_lift: float | None  # absolute difference to the control's rate
    p_value: float | None  # two-sided, two-proportion z-test against the control (null for the control)
    revenue_difference_cents: float | None
    revenue_p_value: float | None  # two-sided Welch's t-test on revenue per exposed player

    @classmethod
    def of(cls, result: VariantResult) -> VariantResultOut:
        return msgspec.convert(result, VariantResultOut, from_attributes=True)


class SrmOut(Struct):
    """Sample Ratio Mismatch: chi-square of exposures against the weights, flagged when p < `alpha` (0.001)."""

    p_value: float | None
    flagged: bool
    alpha: float
    expected: dict[str, float]


class ExperimentResultsOut(Struct):
    experiment_id: str
    key: str
    goal: str
    status: str
    variants: list[VariantResultOut]
    srm: SrmOut

    @classmethod
    def of(cls, experiment: Experiment, card: Scorecard, now: datetime) -> ExperimentResultsOut:
        srm = card.srm
        return cls(
            experiment_id=experiment.id,
            key=experiment.key,
            goal=experiment.goal.value,
            status=experiment.status(now).value,
            variants=[VariantResultOut.of(result) for result in card.variants],
            srm=SrmOut(p_value=srm.p_value, flagged=srm.flagged, alpha=SRM_ALPHA, expected=srm.expected),
        )


class AssignIn(Struct, forbid_unknown_fields=True):
    experiment: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AssignmentOut(Struct):
    """`variant` null: the player is not in the experiment (not running, or not in its audience): use the default."""

    experiment: str
    variant: str | None
    params: dict[str, Any]
    assigned_at: datetime | None

    @classmethod
    def of(cls, received: ReceivedVariant) -> AssignmentOut:
        return cls(
            experiment=received.experiment.key,
            variant=received.variant,
            params=received.params,
            assigned_at=received.assigned_at,
        )


class ParamSourceOut(Struct):
    source: str  # experiment, segment or default
    origin: str | None  # the experiment key or segment name


class RemoteConfigOut(Struct):
    params: dict[str, Any]
    sources: dict[str, ParamSourceOut]

    @classmethod
    def of(cls, config: dict[str, Resolved]) -> RemoteConfigOut:
        return cls(
            params={key: r.value for key, r in config.items()},
            sources={key: ParamSourceOut(source=r.source.value, origin=r.origin) for key, r in config.items()},
        )
