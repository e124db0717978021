"""Gacha configs: what an admin may publish, how it is stored, and the long-run rates with pity."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from src.domain.games.errors import InvalidGameConfig
from src.domain.games.gacha import (
    DEFAULT_GACHA_CONFIG,
    RARITY_ORDER,
    GachaConfig,
    GachaItem,
    Rarity,
    effective_rates,
)
from src.domain.shared.errors import InvalidInput

L, E, R, C = Rarity.LEGENDARY, Rarity.EPIC, Rarity.RARE, Rarity.COMMON


def item(item_id: str, rarity: Rarity) -> GachaItem:
    return GachaItem(item_id, item_id.replace("_", " ").title(), rarity)


POOLS = {L: (item("crown", L),), E: (item("cape", E),), R: (item("ring", R),), C: (item("coin", C), item("cup", C))}


def config(rates: dict[Rarity, float] | None = None, **changes: object) -> GachaConfig:
    values: dict[str, object] = {"rates": rates or {L: 0.01, E: 0.09, R: 0.3, C: 0.6}, "pools": POOLS} | changes
    return GachaConfig(**values)  # type: ignore[arg-type]


def field_keys(error: pytest.ExceptionInfo[InvalidGameConfig]) -> list[str]:
    assert error.value.details is not None
    return [f["key"] for f in error.value.details["fields"]]


def test_rarities_rank_legendary_over_epic_over_rare_over_common() -> None:
    assert [r.rank for r in RARITY_ORDER] == [3, 2, 1, 0]
    assert [r.value for r in RARITY_ORDER] == ["Legendary", "Epic", "Rare", "Common"]
    assert L.at_least(E)
    assert E.at_least(E)
    assert not R.at_least(E)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"rates": {L: 0.01, E: 0.09, R: 0.3, C: 0.5}}, "rates"),
        ({"rates": {L: 0.01, E: 0.09, R: 0.3, C: 0.6 + 1e-8}}, "rates"),
        ({"rates": {L: -0.01, E: 0.11, R: 0.3, C: 0.6}}, "rates.Legendary"),
        ({"rates": {L: 0.0, E: 0.0, R: -0.5, C: 1.5}}, "rates.Rare"),
        ({"rates": {L: 0.01, E: 0.09, R: math.nan, C: 0.6}}, "rates.Rare"),
        ({"rates": {L: 0.01, E: 0.09, R: 0.9}}, "rates.Common"),
        ({"rates": {L: 0.0, E: 0.0, R: 0.4, C: 0.6}}, "rates"),
        ({"pools": POOLS | {E: ()}}, "pools.Epic"),
        ({"pools": {L: POOLS[L], E: POOLS[E], R: POOLS[R]}}, "pools.Common"),
        ({"pools": POOLS | {R: (item("coin", R),)}}, "pools.Common"),
        ({"pools": POOLS | {R: (item("ring", C),)}}, "pools.Rare"),
        ({"pools": POOLS | {R: (GachaItem("ring", " ", R),)}}, "pools.Rare"),
        ({"single_cost": 0}, "single_cost"),
        ({"ten_cost": -450}, "ten_cost"),
        ({"pity_threshold": 0}, "pity_threshold"),
        ({"near_miss_rate": 1.01}, "near_miss_rate"),
    ],
)
def test_a_config_breaking_a_rule_is_refused_naming_the_field(changes: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidGameConfig) as error:
        config(**changes)

    assert isinstance(error.value, InvalidInput)
    assert error.value.code == "VALIDATION_ERROR"
    assert key in field_keys(error)


def test_a_rarity_that_never_drops_may_have_an_empty_pool() -> None:
    sut = config({L: 0.0, E: 0.1, R: 0.3, C: 0.6}, pools=POOLS | {L: ()})

    assert effective_rates(sut)[L] == 0.0


def test_rates_that_sum_to_one_within_float_noise_are_accepted() -> None:
    sut = config({L: 0.1, E: 0.2, R: 0.3, C: 0.4})  # 0.1 + 0.2 + 0.3 + 0.4 is not exactly 1.0 in binary

    assert sut.rates[C] == 0.4


def test_the_published_config_cannot_be_changed_in_place() -> None:
    sut = config()

    with pytest.raises(TypeError):
        sut.rates[L] = 0.5  # type: ignore[index]


def test_a_stored_config_reads_back_equal() -> None:
    stored = DEFAULT_GACHA_CONFIG.to_dict()

    sut = GachaConfig.from_dict(stored | {"effective_rates": {}})

    assert sut == DEFAULT_GACHA_CONFIG
    assert stored["rates"] == {"Legendary": 0.006, "Epic": 0.051, "Rare": 0.243, "Common": 0.70}


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.pop("rates"), "rates"),
        (lambda d: d["rates"].update(Mythic=0.0), "rates.Mythic"),
        (lambda d: d["rates"].update(Epic="0.051"), "rates.Epic"),
        (lambda d: d["pools"].update(Rare={"item_id": "x"}), "pools.Rare"),
        (lambda d: d["pools"]["Rare"][0].pop("name"), "pools.Rare[0].name"),
        (lambda d: d.update(pity_threshold=90.0), "pity_threshold"),
    ],
)
def test_a_stored_config_of_the_wrong_shape_is_refused(mutate: object, key: str) -> None:
    stored = DEFAULT_GACHA_CONFIG.to_dict()
    mutate(stored)  # type: ignore[operator]

    with pytest.raises(InvalidGameConfig) as error:
        GachaConfig.from_dict(stored)

    assert field_keys(error) == [key]


def markov_rates(sut: GachaConfig, steps: int = 4000) -> dict[Rarity, float]:
    """Rarity shares from iterating the pity counter's chain pull by pull, no closed form."""
    epic_plus = sut.rates[L] + sut.rates[E]
    law = [1.0] + [0.0] * (sut.pity_threshold - 1)
    for _ in range(steps):
        nxt = [0.0] * sut.pity_threshold
        for counter, mass in enumerate(law[:-1]):
            nxt[0] += mass * epic_plus
            nxt[counter + 1] += mass * (1 - epic_plus)
        nxt[0] += law[-1]
        law = nxt
    forced = law[-1]
    return {
        r: (1 - forced) * sut.rates[r] + (forced * sut.rates[r] / epic_plus if r in (L, E) else 0.0)
        for r in RARITY_ORDER
    }


@pytest.mark.parametrize("threshold", [1, 2, 5, 20])
def test_effective_rates_match_the_pity_counter_markov_chain(threshold: int) -> None:
    sut = config({L: 0.02, E: 0.08, R: 0.3, C: 0.6}, pity_threshold=threshold)

    rates = effective_rates(sut)

    assert rates == pytest.approx(markov_rates(sut), abs=1e-12)


def test_a_pity_threshold_of_one_grants_epic_or_better_every_time() -> None:
    sut = config({L: 0.02, E: 0.08, R: 0.3, C: 0.6}, pity_threshold=1)

    assert effective_rates(sut) == pytest.approx({L: 0.2, E: 0.8, R: 0.0, C: 0.0})


def test_pity_lifts_epic_and_legendary_and_the_shares_still_sum_to_one() -> None:
    sut = effective_rates(DEFAULT_GACHA_CONFIG)

    assert math.fsum(sut.values()) == pytest.approx(1.0, abs=1e-12)
    assert sut[L] > DEFAULT_GACHA_CONFIG.rates[L]
    assert sut[E] > DEFAULT_GACHA_CONFIG.rates[E]
    assert sut[R] < DEFAULT_GACHA_CONFIG.rates[R]
    assert sut == pytest.approx({L: 0.0060306, E: 0.0512605, R: 0.2429250, C: 0.6997839}, abs=1e-7)


def test_without_a_reachable_pity_the_configured_rates_are_the_effective_ones() -> None:
    sut = replace(DEFAULT_GACHA_CONFIG, pity_threshold=10_000)

    assert effective_rates(sut) == pytest.approx(dict(DEFAULT_GACHA_CONFIG.rates), abs=1e-15)
