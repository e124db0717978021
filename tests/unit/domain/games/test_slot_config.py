"""Slot configs: what an admin may publish, how it is stored, and the odds it publishes."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest

from src.domain.games.errors import InvalidGameConfig
from src.domain.games.slot import (
    DEFAULT_SLOT_CONFIG,
    SlotConfig,
    SlotSymbol,
    expected_streak_bonus,
    odds,
    theoretical_rtp,
)
from src.domain.shared.errors import InvalidInput


def symbols(*rows: tuple[str, int, float, float]) -> tuple[SlotSymbol, ...]:
    return tuple(SlotSymbol(*row) for row in rows)


def with_symbol(index: int, **changes: object) -> tuple[SlotSymbol, ...]:
    table = list(DEFAULT_SLOT_CONFIG.symbols)
    table[index] = replace(table[index], **changes)  # type: ignore[arg-type]
    return tuple(table)


def field_keys(error: pytest.ExceptionInfo[InvalidGameConfig]) -> list[str]:
    assert error.value.details is not None
    return [f["key"] for f in error.value.details["fields"]]


# Three symbols, a fractional and a zero pair (hit rate 72 %, RTP ≈ 0.94): unlike the defaults in every way.
LOPSIDED = SlotConfig(symbols=symbols(("a", 5, 2.0, 0.5), ("b", 3, 5.0, 1.0), ("c", 2, 12.0, 0.0)), max_bet=500)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"symbols": DEFAULT_SLOT_CONFIG.symbols[:1]}, "symbols"),
        ({"symbols": with_symbol(1, name="cherry")}, "symbols[1].name"),
        ({"symbols": with_symbol(2, name=" ")}, "symbols[2].name"),
        ({"symbols": with_symbol(0, weight=0)}, "symbols[0].weight"),
        ({"symbols": with_symbol(3, weight=-4)}, "symbols[3].weight"),
        ({"symbols": with_symbol(4, triple_multiplier=-1.0)}, "symbols[4].triple_multiplier"),
        ({"symbols": with_symbol(5, pair_multiplier=-0.5)}, "symbols[5].pair_multiplier"),
        ({"symbols": with_symbol(5, pair_multiplier=math.nan)}, "symbols[5].pair_multiplier"),
        ({"min_bet": 0}, "min_bet"),
        ({"min_bet": 50, "max_bet": 49}, "max_bet"),
        ({"streak_bonus_step": -0.05}, "streak_bonus_step"),
        ({"streak_bonus_cap": 1.5}, "streak_bonus_cap"),
        ({"streak_bonus_step": 0.00001}, "streak_bonus_step"),
    ],
)
def test_a_config_breaking_a_rule_is_refused_naming_the_field(changes: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidGameConfig) as error:
        replace(DEFAULT_SLOT_CONFIG, **changes)  # type: ignore[arg-type]

    assert isinstance(error.value, InvalidInput)
    assert error.value.code == "VALIDATION_ERROR"
    assert key in field_keys(error)


@pytest.mark.parametrize(
    "table",
    [
        with_symbol(5, triple_multiplier=1000.0),
        tuple(replace(s, triple_multiplier=1.0) for s in DEFAULT_SLOT_CONFIG.symbols),
    ],
    ids=["too generous", "too mean"],
)
def test_a_config_whose_rtp_leaves_the_allowed_band_is_refused(table: tuple[SlotSymbol, ...]) -> None:
    with pytest.raises(InvalidGameConfig, match="RTP") as error:
        SlotConfig(symbols=table)

    assert field_keys(error) == ["symbols"]


def test_every_broken_rule_is_reported_in_one_refusal() -> None:
    with pytest.raises(InvalidGameConfig) as error:
        replace(DEFAULT_SLOT_CONFIG, symbols=with_symbol(0, weight=0), min_bet=0, max_bet=-1)

    assert field_keys(error) == ["symbols[0].weight", "min_bet", "max_bet"]


def test_a_stored_config_reads_back_equal_and_ignores_published_extras() -> None:
    stored = DEFAULT_SLOT_CONFIG.to_dict() | {"rtp": 0.95}

    sut = SlotConfig.from_dict(stored)

    assert sut == DEFAULT_SLOT_CONFIG


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.pop("symbols"), "symbols"),
        (lambda d: d.update(symbols="cherry"), "symbols"),
        (lambda d: d["symbols"][0].update(weight="32"), "symbols[0].weight"),
        (lambda d: d["symbols"][1].update(weight=True), "symbols[1].weight"),
        (lambda d: d["symbols"][2].pop("pair_multiplier"), "symbols[2].pair_multiplier"),
        (lambda d: d["symbols"][3].update(name=7), "symbols[3].name"),
        (lambda d: d.update(max_bet=10.5), "max_bet"),
        (lambda d: d.update(streak_bonus_cap="0.2"), "streak_bonus_cap"),
    ],
)
def test_a_stored_config_of_the_wrong_shape_is_refused(mutate: object, key: str) -> None:
    stored = DEFAULT_SLOT_CONFIG.to_dict()
    mutate(stored)  # type: ignore[operator]

    with pytest.raises(InvalidGameConfig) as error:
        SlotConfig.from_dict(stored)

    assert field_keys(error) == [key]


def test_optional_fields_default_when_absent() -> None:
    sut = SlotConfig.from_dict({"symbols": DEFAULT_SLOT_CONFIG.to_dict()["symbols"]})

    assert (sut.min_bet, sut.max_bet, sut.streak_bonus_step, sut.streak_bonus_cap) == (1, 10_000, 0.05, 0.20)


def markov_streak_bonus(hit_rate: float, step: float, cap: float, states: int = 12) -> float:
    """E[bonus] under the stationary law of the streak chain, found by iterating the chain itself.

    The last state lumps every streak of `states - 1` or more, past any cap used here.
    """
    law = [1.0] + [0.0] * (states - 1)
    for _ in range(2000):
        nxt = [0.0] * states
        for k, mass in enumerate(law):
            nxt[0] += mass * (1 - hit_rate)
            nxt[min(k + 1, states - 1)] += mass * hit_rate
        law = nxt
    return sum(mass * min(k * step, cap) for k, mass in enumerate(law))


@pytest.mark.parametrize("hit_rate", [0.0, 0.1, 0.3485, 0.7, 0.95, 1.0])
@pytest.mark.parametrize(("step", "cap"), [(0.05, 0.20), (0.03, 0.10), (0.1, 0.1), (0.0, 0.2), (0.05, 0.0)])
def test_the_closed_form_streak_bonus_matches_the_markov_chain(hit_rate: float, step: float, cap: float) -> None:
    sut = expected_streak_bonus(hit_rate, step, cap)

    assert sut == pytest.approx(markov_streak_bonus(hit_rate, step, cap), abs=1e-12)


def enumerate_odds(config: SlotConfig) -> tuple[float, float]:
    """Hit rate and base RTP by walking every one of the n^3 reel combinations."""
    total = sum(s.weight for s in config.symbols)
    hit = base = 0.0
    for a, b, c in itertools.product(config.symbols, repeat=3):
        probability = a.weight * b.weight * c.weight / total**3
        if a == b == c:
            multiplier = a.triple_multiplier
        elif a in (b, c) or b == c:
            multiplier = (b if b == c else a).pair_multiplier
        else:
            multiplier = 0.0
        base += probability * multiplier
        hit += probability if multiplier > 0 else 0.0
    return hit, base


@pytest.mark.parametrize("config", [DEFAULT_SLOT_CONFIG, LOPSIDED], ids=["default", "lopsided"])
def test_theoretical_rtp_equals_enumeration_times_the_streak_factor(config: SlotConfig) -> None:
    hit, base = enumerate_odds(config)
    bonus = markov_streak_bonus(hit, config.streak_bonus_step, config.streak_bonus_cap)

    sut = odds(config)

    assert sut.hit_rate == pytest.approx(hit, abs=1e-12)
    assert sut.base_rtp == pytest.approx(base, abs=1e-12)
    assert sut.rtp == pytest.approx(base * (1 + bonus), abs=1e-12)
    assert theoretical_rtp(config) == sut.rtp


def test_triple_and_pair_probabilities_leave_the_rest_to_losses() -> None:
    total = sum(s.weight for s in DEFAULT_SLOT_CONFIG.symbols)
    all_different = (
        sum(a.weight * b.weight * c.weight for a, b, c in itertools.permutations(DEFAULT_SLOT_CONFIG.symbols, 3))
        / total**3
    )

    sut = odds(DEFAULT_SLOT_CONFIG)

    assert sut.triple_probability + sut.pair_probability + all_different == pytest.approx(1.0, abs=1e-12)


def test_the_default_machine_returns_about_95_percent() -> None:
    sut = odds(DEFAULT_SLOT_CONFIG)

    assert 0.93 <= sut.rtp <= 0.97
    assert sut.rtp == pytest.approx(0.951597, abs=1e-6)
    assert sut.base_rtp == pytest.approx(0.92716, abs=1e-9)
    assert sut.hit_rate == pytest.approx(0.348544, abs=1e-9)
