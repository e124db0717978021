"""Gacha pulls with pity: after `pity_threshold - 1` pulls in a row below Epic, the next pull is Epic or better."""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from src.domain.games.errors import FieldProblem, InvalidGameConfig, InvalidPlay
from src.domain.games.parsing import as_int, as_list, as_mapping, as_number, as_str, field
from src.domain.games.random import RandomSource

RATE_SUM_TOLERANCE = 1e-9


class Rarity(StrEnum):
    LEGENDARY = "Legendary"
    EPIC = "Epic"
    RARE = "Rare"
    COMMON = "Common"

    @property
    def rank(self) -> int:
        """Higher is rarer: Legendary 3 > Epic 2 > Rare 1 > Common 0."""
        return _RANKS[self._value_]

    def at_least(self, other: Rarity) -> bool:
        return _RANKS[self._value_] >= _RANKS[other._value_]


RARITY_ORDER = (Rarity.LEGENDARY, Rarity.EPIC, Rarity.RARE, Rarity.COMMON)  # best first
_RANKS = {rarity.value: len(RARITY_ORDER) - 1 - index for index, rarity in enumerate(RARITY_ORDER)}  # by value:
# a member's own hash is Enum's, a Python call
PITY_RARITIES = (Rarity.LEGENDARY, Rarity.EPIC)
ANIMATIONS = {
    Rarity.LEGENDARY: "legendary_burst",
    Rarity.EPIC: "epic_glow",
    Rarity.RARE: "rare_shine",
    Rarity.COMMON: "common",
}
NEAR_MISS_ANIMATION = "near_miss"


@dataclass(frozen=True)
class GachaItem:
    item_id: str
    name: str
    rarity: Rarity


@dataclass(frozen=True)
class PulledItem:
    item_id: str
    name: str
    rarity: Rarity
    near_miss: bool  # presentation only: the reveal teases a better result; the item is unchanged
    animation_type: str
    pity_triggered: bool


@dataclass(frozen=True)
class PullOutcome:
    items: tuple[PulledItem, ...]
    cost: int
    pity_counter: int  # consecutive pulls below Epic, after these pulls


@dataclass(frozen=True)
class GachaConfig:
    """A publishable banner; constructing one validates it. The mappings are frozen copies."""

    rates: Mapping[Rarity, float]
    pools: Mapping[Rarity, tuple[GachaItem, ...]]
    single_cost: int = 50
    ten_cost: int = 450
    pity_threshold: int = 90
    near_miss_rate: float = 0.3

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", MappingProxyType(dict(self.rates)))
        object.__setattr__(self, "pools", MappingProxyType({r: tuple(items) for r, items in self.pools.items()}))
        problems = [*_rate_problems(self.rates), *_pool_problems(self), *_scalar_problems(self)]
        if problems:
            raise InvalidGameConfig.of(problems)

    @cached_property
    def weights(self) -> Mapping[Rarity, int]:
        """The rates as exact integer weights: each rate's decimal (0.006) scaled by the largest number of decimals
        among them (0.006 → 6 of 1000), so draws follow the rates an admin wrote, not their binary floats."""
        decimals = {r: Decimal(repr(self.rates[r])) for r in RARITY_ORDER}
        places = max(-min(0, int(value.as_tuple().exponent)) for value in decimals.values())
        return MappingProxyType({r: int(value.scaleb(places)) for r, value in decimals.items()})

    @cached_property
    def _bands(self) -> tuple[_Bands, _Bands]:
        """The draw tables of a normal pull and of a pity pull, worked out once per config."""
        return _Bands.of(self, RARITY_ORDER, forced=False), _Bands.of(self, PITY_RARITIES, forced=True)

    def cost_of(self, count: int) -> int:
        if count == 1:
            return self.single_cost
        if count == 10:
            return self.ten_cost
        raise InvalidPlay.field("count", "count must be 1 or 10")

    def to_dict(self) -> dict[str, object]:
        return {
            "rates": {r.value: self.rates[r] for r in RARITY_ORDER},
            "pools": {r.value: [{"item_id": i.item_id, "name": i.name} for i in self.pools.get(r, ())] for r in Rarity},
            "single_cost": self.single_cost,
            "ten_cost": self.ten_cost,
            "pity_threshold": self.pity_threshold,
            "near_miss_rate": self.near_miss_rate,
        }

    @classmethod
    def from_dict(cls, data: object) -> GachaConfig:
        """Parse `to_dict`'s shape; unknown top-level keys are ignored, unknown rarities refused."""
        raw = as_mapping(data, "config")
        rates = {_rarity(key, "rates"): as_number(v, f"rates.{key}") for key, v in _entries(raw, "rates")}
        pools = {_rarity(key, "pools"): _items(v, key, f"pools.{key}") for key, v in _entries(raw, "pools")}
        defaults = cls.__dataclass_fields__
        return cls(
            rates=rates,
            pools=pools,
            single_cost=as_int(raw.get("single_cost", defaults["single_cost"].default), "single_cost"),
            ten_cost=as_int(raw.get("ten_cost", defaults["ten_cost"].default), "ten_cost"),
            pity_threshold=as_int(raw.get("pity_threshold", defaults["pity_threshold"].default), "pity_threshold"),
            near_miss_rate=as_number(raw.get("near_miss_rate", defaults["near_miss_rate"].default), "near_miss_rate"),
        )


def _entries(raw: Mapping[str, object], key: str) -> list[tuple[str, object]]:
    return list(as_mapping(field(raw, key), key).items())


def _rarity(value: str, key: str) -> Rarity:
    if value not in {r.value for r in Rarity}:
        names = ", ".join(r.value for r in RARITY_ORDER)
        raise InvalidGameConfig.of([(f"{key}.{value}", f"unknown rarity {value!r}; expected one of {names}")])
    return Rarity(value)


def _items(value: object, rarity: str, key: str) -> tuple[GachaItem, ...]:
    items = []
    for i, entry in enumerate(as_list(value, key)):
        raw = as_mapping(entry, f"{key}[{i}]")
        item_id = as_str(field(raw, "item_id", f"{key}[{i}]."), f"{key}[{i}].item_id")
        name = as_str(field(raw, "name", f"{key}[{i}]."), f"{key}[{i}].name")
        items.append(GachaItem(item_id, name, Rarity(rarity)))
    return tuple(items)


def _rate_problems(rates: Mapping[Rarity, float]) -> list[FieldProblem]:
    problems: list[FieldProblem] = [(f"rates.{key}", "unknown rarity") for key in rates if key not in set(Rarity)]
    for rarity in RARITY_ORDER:
        if rarity not in rates:
            problems.append((f"rates.{rarity}", f"a rate for {rarity} is required"))
        elif not (math.isfinite(rates[rarity]) and 0 <= rates[rarity] <= 1):
            problems.append((f"rates.{rarity}", "a rate must be between 0 and 1"))
    if problems:
        return problems
    total = math.fsum(rates.values())
    if abs(total - 1) > RATE_SUM_TOLERANCE:
        problems.append(("rates", f"rates must sum to 1, not {total!r}"))
    if not any(rates[r] > 0 for r in PITY_RARITIES):
        problems.append(("rates", "Epic or Legendary needs a positive rate: pity must have something to grant"))
    return problems


def _pool_problems(config: GachaConfig) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for rarity in RARITY_ORDER:
        items = config.pools.get(rarity, ())
        key = f"pools.{rarity}"
        if config.rates.get(rarity, 0) > 0 and not items:
            problems.append((key, f"{rarity} has a positive rate, so it needs at least one item"))
        for item in items:
            if not item.item_id.strip() or not item.name.strip():
                problems.append((key, "an item needs an item_id and a name"))
            if item.rarity is not rarity:
                problems.append((key, f"item {item.item_id!r} is {item.rarity}, not {rarity}"))
            if item.item_id in seen:
                problems.append((key, f"duplicate item_id {item.item_id!r}"))
            seen.add(item.item_id)
    return problems


def _scalar_problems(config: GachaConfig) -> list[FieldProblem]:
    problems: list[FieldProblem] = [
        (key, f"{key} must be at least 1")
        for key in ("single_cost", "ten_cost", "pity_threshold")
        if getattr(config, key) < 1
    ]
    if not (math.isfinite(config.near_miss_rate) and 0 <= config.near_miss_rate <= 1):
        problems.append(("near_miss_rate", "near_miss_rate must be between 0 and 1"))
    return problems


@dataclass(frozen=True)
class _Bands:
    """One kind of pull precomputed: the candidates with a positive weight (best first), their cumulative weights
    for bisect, and every item of their pools as the `PulledItem` it becomes without and with a near miss."""

    cumulative: tuple[int, ...]
    total: int
    epic_plus: tuple[bool, ...]  # per band: Epic or better (resets the counter, never a near miss)
    pulled: tuple[tuple[tuple[PulledItem, PulledItem], ...], ...]  # per band, per pool item: (plain, near miss)

    @classmethod
    def of(cls, config: GachaConfig, candidates: tuple[Rarity, ...], *, forced: bool) -> _Bands:
        weighted = [(rarity, config.weights[rarity]) for rarity in candidates if config.weights[rarity] > 0]
        cumulative = tuple(itertools.accumulate(weight for _, weight in weighted))
        return cls(
            cumulative=cumulative,
            total=cumulative[-1],
            epic_plus=tuple(rarity.at_least(Rarity.EPIC) for rarity, _ in weighted),
            pulled=tuple(
                tuple(
                    (_present(item, forced, near_miss=False), _present(item, forced, near_miss=True)) for item in pool
                )
                for pool in (config.pools[rarity] for rarity, _ in weighted)
            ),
        )


def pull(
    config: GachaConfig,
    rng: RandomSource,
    count: int,
    pity_counter: int,
    presentation_rng: RandomSource | None = None,
) -> PullOutcome:
    """`count` pulls (1 or 10). `pity_counter` is the player's run of pulls below Epic so far.

    Each pull draws a ticket below the total of the rarities' integer `weights` (the rarity whose cumulative band
    holds it), then an item of that rarity's pool (a ticket below the pool's size). A pull made with the counter at
    `pity_threshold - 1` or more (a lowered threshold counts at once) draws among Epic and Legendary only, so
    Legendary keeps its share of Epic+. Near misses are drawn from `presentation_rng` (default: `rng`) after the
    item, one float per sub-Epic pull whatever the rate, so the items granted never depend on `near_miss_rate`.
    """
    cost = config.cost_of(count)
    if pity_counter < 0:
        raise InvalidPlay.field("pity_counter", "pity_counter must not be negative")
    presenter = rng if presentation_rng is None else presentation_rng
    normal, forced = config._bands
    pity_at, near_miss_rate = config.pity_threshold - 1, config.near_miss_rate
    pulled = []
    for _ in range(count):
        bands = forced if pity_counter >= pity_at else normal
        band = bisect_right(bands.cumulative, rng.randbelow(bands.total))  # the first band whose end exceeds it
        pool = bands.pulled[band]
        plain, near_miss = pool[rng.randbelow(len(pool))]
        if bands.epic_plus[band]:
            pity_counter = 0
            pulled.append(plain)
        else:
            pity_counter += 1
            pulled.append(near_miss if presenter.random() < near_miss_rate else plain)
    return PullOutcome(items=tuple(pulled), cost=cost, pity_counter=pity_counter)


def _present(item: GachaItem, forced: bool, *, near_miss: bool) -> PulledItem:
    animation = NEAR_MISS_ANIMATION if near_miss else ANIMATIONS[item.rarity]
    return PulledItem(item.item_id, item.name, item.rarity, near_miss, animation, pity_triggered=forced)


def effective_rates(config: GachaConfig) -> dict[Rarity, float]:
    """The long-run share of each rarity with pity, best first.

    The counter c in 0..T-1 (T = pity_threshold) moves c -> c+1 with probability 1-e (e = P(Epic+))
    and -> 0 otherwise, and T-1 -> 0 always; its stationary law is pi_c ∝ (1-e)^c. A share pi_{T-1}
    of pulls is forced, granting Epic+ renormalised; the rest follow `rates`.
    """
    epic_plus = math.fsum(config.rates[r] for r in PITY_RARITIES)
    weights = [(1 - epic_plus) ** c for c in range(config.pity_threshold)]
    forced_share = weights[-1] / math.fsum(weights)
    forced_rates = {r: config.rates[r] / epic_plus if r in PITY_RARITIES else 0.0 for r in RARITY_ORDER}
    return {r: (1 - forced_share) * config.rates[r] + forced_share * forced_rates[r] for r in RARITY_ORDER}


def _default_pools() -> dict[Rarity, tuple[GachaItem, ...]]:
    names = {
        Rarity.LEGENDARY: ("Golden Dice Avatar", "Diamond Jackpot Frame"),
        Rarity.EPIC: ("Neon Roulette Skin", "Royal Flush Card Back", "Lucky Cat Companion"),
        Rarity.RARE: ("Silver Chip Emote", "Velvet Table Theme", "Firework Win Effect", "High Roller Title"),
        Rarity.COMMON: ("Bronze Chip Sticker", "Green Felt Background", "Classic Card Back", "Four-Leaf Clover Badge"),
    }
    return {r: tuple(GachaItem(_slug(name), name, r) for name in items) for r, items in names.items()}


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower())


DEFAULT_GACHA_CONFIG = GachaConfig(
    rates={Rarity.LEGENDARY: 0.006, Rarity.EPIC: 0.051, Rarity.RARE: 0.243, Rarity.COMMON: 0.70},
    pools=_default_pools(),
)
