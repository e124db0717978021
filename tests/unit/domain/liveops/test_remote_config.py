"""Remote config resolution: experiment > segment override > default, and the allow-list of keys and values."""

from __future__ import annotations

from typing import Any

import pytest

from src.domain.liveops.remote_config import DEFAULTS, Source, check_params, param_errors, resolve
from src.domain.shared.errors import InvalidInput


def test_experiment_beats_segment_override_beats_default() -> None:
    resolved = resolve(
        experiments=[("exp-banner", {"featured_banner": "gacha_summer"})],
        segments=[("whales", {"featured_banner": "bundle_big", "discount_percent": 15})],
    )
    assert (resolved["featured_banner"].value, resolved["featured_banner"].source) == (
        "gacha_summer",
        Source.EXPERIMENT,
    )
    assert resolved["featured_banner"].origin == "exp-banner"
    assert (resolved["discount_percent"].value, resolved["discount_percent"].source) == (15, Source.SEGMENT)


def test_segment_override_beats_default() -> None:
    resolved = resolve(experiments=[], segments=[("whales", {"featured_banner": "bundle_big"})])
    assert (resolved["featured_banner"].value, resolved["featured_banner"].source) == ("bundle_big", Source.SEGMENT)


def test_a_player_in_no_experiment_and_no_segment_gets_the_defaults() -> None:
    resolved = resolve(experiments=[], segments=[])
    assert {key: r.value for key, r in resolved.items()} == DEFAULTS
    assert {r.source for r in resolved.values()} == {Source.DEFAULT}


def test_the_first_experiment_in_order_wins_a_tie() -> None:
    resolved = resolve(experiments=[("old", {"featured_banner": "a"}), ("new", {"featured_banner": "b"})], segments=[])
    assert (resolved["featured_banner"].value, resolved["featured_banner"].origin) == ("a", "old")


def test_stored_keys_outside_the_allow_list_are_never_applied() -> None:
    resolved = resolve(experiments=[("x", {"odds": {"jackpot": 1.0}, "discount_percent": 95})], segments=[])
    assert "odds" not in resolved
    assert resolved["discount_percent"].source is Source.DEFAULT  # 95 is above the limit: ignored, not clamped


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"odds": 1}, "odds"),
        ({"banner": "x"}, "banner"),
        ({"featured_banner": ""}, "featured_banner"),
        ({"featured_banner": 7}, "featured_banner"),
        ({"featured_banner": "has space"}, "featured_banner"),
        ({"discount_percent": 0}, "discount_percent"),
        ({"discount_percent": 91}, "discount_percent"),
        ({"discount_percent": 10.5}, "discount_percent"),
        ({"discount_percent": True}, "discount_percent"),
        ({"discount_percent": "10"}, "discount_percent"),
    ],
)
def test_bad_keys_and_values_are_refused(params: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_params(params, "variants[1].params")
    assert refused.value.details["fields"][0]["key"] == f"variants[1].params.{key}"


@pytest.mark.parametrize(
    "params", [{}, {"featured_banner": "gems_100"}, {"discount_percent": 1}, {"discount_percent": 90}]
)
def test_allowed_params_pass(params: dict[str, Any]) -> None:
    assert param_errors(params) == []
