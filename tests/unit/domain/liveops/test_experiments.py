"""Experiments: checked on creation, assigned by a hash of salt and player, split by weight, phases, SRM."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.domain.liveops.experiments import (
    Experiment,
    ExperimentClosed,
    Goal,
    Variant,
    bucket,
    new_experiment,
    pick,
)
from src.domain.liveops.scorecard import SRM_ALPHA, sample_ratio, scorecard
from src.domain.liveops.statistics import Arm
from src.domain.shared.errors import InvalidInput

NOW = datetime(2031, 5, 6, 12, tzinfo=UTC)


def make(weights: tuple[int, ...] = (50, 50), key: str = "shop_banner", **changes: Any) -> Experiment:
    variants = tuple(Variant("control" if i == 0 else f"t{i}", w, {"discount": i}) for i, w in enumerate(weights))
    window = changes.pop("window", (NOW, NOW + timedelta(days=14)))
    return new_experiment("exp_1", key, variants, Goal.PURCHASE, window, changes.pop("audience", None), NOW)


@pytest.mark.parametrize("weights", [(50, 50), (1, 1, 1, 1, 1, 1, 1, 1, 1, 1), (70, 20, 10), (5, 15, 30, 50), (1, 3)])
def test_100000_players_split_by_the_weights_within_one_point(weights: tuple[int, ...]) -> None:
    sut = make(weights)

    counts = Counter(sut.assign(f"user-{n}").name for n in range(100_000))

    total = sum(weights)
    for variant, weight in zip(sut.variants, weights, strict=True):
        assert abs(counts[variant.name] / 100_000 - weight / total) <= 0.01, (variant.name, counts)


def test_the_same_player_always_gets_the_same_variant_and_experiments_are_independent() -> None:
    sut, other = make((1, 1, 1)), make((1, 1, 1), key="other_test")

    first = [sut.assign(f"p{n}").name for n in range(2000)]

    assert first == [make((1, 1, 1)).assign(f"p{n}").name for n in range(2000)]
    same = sum(a == other.assign(f"p{n}").name for n, a in enumerate(first))
    assert 500 < same < 830  # about a third by chance: another key hashes players afresh


def test_pick_scales_the_hash_exactly_onto_the_weights() -> None:
    top = 2**64 - 1
    assert [pick((1, 1), h) for h in (0, 2**63 - 1, 2**63, top)] == [0, 0, 1, 1]
    assert pick((0, 5, 0), top) == 1
    assert pick((0, 5, 0), 0) == 1
    assert bucket("k", "u") == bucket("k", "u") != bucket("k", "v")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"weights": (100,)}, "variants"),
        ({"weights": (1,) * 11}, "variants"),
        ({"weights": (50, 0)}, "variants[1].weight"),
        ({"weights": (50, -1)}, "variants[1].weight"),
        ({"weights": (50, 1_000_001)}, "variants[1].weight"),
        ({"key": "Bad Key"}, "key"),
        ({"key": ""}, "key"),
        ({"window": (NOW, NOW)}, "ends_at"),
        ({"window": (NOW - timedelta(days=3), NOW - timedelta(days=1))}, "ends_at"),
        ({"window": (NOW, NOW + timedelta(days=400))}, "ends_at"),
    ],
)
def test_bad_experiments_are_refused_naming_the_field(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        make(**changes)

    assert [f["key"] for f in (refused.value.details or {})["fields"]] == [key]


def test_duplicate_and_malformed_variant_names_are_refused() -> None:
    window = (NOW, NOW + timedelta(days=1))
    for variants, key in [
        ((Variant("a", 1, {}), Variant("a", 1, {})), "variants[1].name"),
        ((Variant("a", 1, {}), Variant("b c", 1, {})), "variants[1].name"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            new_experiment("e", "k", variants, Goal.SPIN, window, None, NOW)
        assert (refused.value.details or {})["fields"][0]["key"] == key


def test_a_new_phase_changes_the_split_keeps_variants_and_closes_after_a_stop() -> None:
    sut = make((50, 50))

    moved = sut.new_phase({"control": 10, "t1": 90}, NOW + timedelta(days=1))

    assert (moved.phase.number, moved.phase.weights) == (2, (10, 90))
    assert [v.name for v in moved.variants] == ["control", "t1"]
    with pytest.raises(InvalidInput):
        sut.new_phase({"control": 10, "t2": 90}, NOW)
    with pytest.raises(InvalidInput):
        sut.new_phase({"control": 0, "t1": 0}, NOW)
    stopped = moved.stop(NOW + timedelta(days=2))
    assert stopped.stop(NOW + timedelta(days=3)).stopped_at == NOW + timedelta(days=2)
    with pytest.raises(ExperimentClosed):
        stopped.new_phase({"control": 1, "t1": 1}, NOW + timedelta(days=3))


def test_a_60_40_split_on_a_50_50_experiment_raises_the_srm_flag() -> None:
    sut = make((50, 50))

    skewed = sample_ratio(sut, {("control", 1): 600, ("t1", 1): 400})
    healthy = sample_ratio(sut, {("control", 1): 5030, ("t1", 1): 4970})

    assert skewed.flagged
    assert skewed.p_value is not None
    assert skewed.p_value < SRM_ALPHA
    assert not healthy.flagged
    assert healthy.p_value is not None
    assert healthy.p_value > 0.5


def test_srm_expects_each_phase_by_its_own_weights() -> None:
    sut = make((50, 50)).new_phase({"control": 20, "t1": 80}, NOW + timedelta(days=1))

    exposed = {("control", 1): 500, ("t1", 1): 500, ("control", 2): 200, ("t1", 2): 800}
    check = sample_ratio(sut, exposed)

    assert check.expected == {"control": 700.0, "t1": 1300.0}
    assert not check.flagged  # 700/1300 overall is what the two splits promise, not a mismatch


def test_the_scorecard_compares_each_treatment_with_the_control() -> None:
    sut = make((1, 1, 1))
    arms = {"control": Arm(1000, 100, 49900, 49900 * 499), "t1": Arm(1000, 150, 74850, 74850 * 499)}

    card = scorecard(sut, arms, {("control", 1): 1000, ("t1", 1): 1000})

    control, t1, t2 = card.variants
    assert (control.is_control, control.p_value, control.conversion_lift) == (True, None, None)
    assert t1.conversion_rate == 0.15
    assert t1.conversion_lift == pytest.approx(0.05)
    assert t1.p_value is not None
    assert t1.p_value < 0.01
    assert t1.revenue_per_exposed_cents == 74.85
    assert (t2.exposed, t2.p_value) == (0, None)
    assert card.srm.flagged  # an arm the weights promised a third of the players received none
