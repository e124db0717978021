"""A 3-reel slot: independent weighted reels, a triple/pair paytable and a capped win-streak bonus.

Payouts are whole coins: `floor(bet * multiplier * (1 + bonus))`, computed in decimal so that, e.g.,
100 x 2 x 1.15 pays 230 and not 229. `theoretical_rtp` ignores that flooring, so for small bets and
fractional multipliers the realised return is slightly lower than published; with integer multipliers,
a 0.05 bonus step and bets that are multiples of 20 flooring never bites.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from functools import cached_property

from src.domain.games.errors import FieldProblem, InvalidGameConfig, InvalidPlay
from src.domain.games.parsing import as_int, as_list, as_mapping, as_number, as_str, field
from src.domain.games.random import RandomSource

RTP_MIN, RTP_MAX = 0.80, 0.99
MAX_BONUS_STEPS = 1000
COMBOS_CACHED = 100_000  # reel combinations a machine keeps worked out (6 symbols: 216)
WINS_CACHED = 256  # outcomes a paying combination keeps by (streak, bet)


@dataclass(frozen=True)
class SlotSymbol:
    name: str
    weight: int
    triple_multiplier: float
    pair_multiplier: float


@dataclass(frozen=True)
class SlotOdds:
    hit_rate: float  # P(a spin pays), i.e. P(streak grows)
    base_rtp: float  # E[paytable multiplier], without the streak bonus
    rtp: float  # the long-run return per coin bet, streak bonus included
    triple_probability: float
    pair_probability: float


@dataclass(frozen=True)
class SpinOutcome:
    reels: tuple[str, str, str]
    outcome: str  # "triple" | "pair" | "lose", from the reels alone
    multiplier: float  # effective: paytable multiplier x (1 + bonus)
    payout: int
    streak: int  # consecutive paying spins, this one included
    bonus: float  # the streak bonus applied to this spin, e.g. 0.15 for +15 %


@dataclass(frozen=True)
class _Combo:
    """What three reels (as symbol indices) show and pay, worked out once per machine."""

    reels: tuple[str, str, str]
    outcome: str
    pays: int  # the paytable entry: triple i → i, pair of i → symbols + i; -1: pays nothing
    loss: SpinOutcome | None  # the whole outcome when the paytable pays nothing (the streak does not matter)
    # a paying combination's outcomes by (streak, bet) as spins meet them (immutable, so shared), up to WINS_CACHED
    wins: dict[tuple[int, int], SpinOutcome] = dataclass_field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class _Reel:
    """The config precomputed for spinning: cumulative weights for bisect, multipliers in decimal, and (filled as
    spins land on them) each combination's outcome and each paytable entry's multiplier per bonus level."""

    names: tuple[str, ...]
    cumulative: tuple[int, ...]
    total: int
    tickets: int  # total**3: one ticket per equally likely (first, second, third) draw
    triple: tuple[Decimal, ...]
    pair: tuple[Decimal, ...]
    step: Decimal
    cap: Decimal
    # min(k·step, cap) for streaks k = 0, 1, …, K: from K on the bonus no longer changes (the cap, or 0 without step)
    levels: tuple[Decimal, ...] = dataclass_field(init=False, repr=False, compare=False)
    _combos: dict[int, _Combo] = dataclass_field(default_factory=dict, init=False, repr=False, compare=False)
    _paid: dict[int, tuple[Decimal, float, float]] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        levels = [min(0 * self.step, self.cap)]
        while self.step > 0 and levels[-1] < self.cap:  # at most MAX_BONUS_STEPS + 1 levels (validated)
            levels.append(min(len(levels) * self.step, self.cap))
        object.__setattr__(self, "levels", tuple(levels))

    def land(self, rng: RandomSource) -> _Combo:
        """Three independent reels from one uniform draw over total^3 tickets (base-total digits), each digit's
        symbol the first whose cumulative weight exceeds it."""
        ticket = rng.randbelow(self.tickets)
        rest, first = divmod(ticket, self.total)
        third, second = divmod(rest, self.total)
        cumulative, symbols = self.cumulative, len(self.names)
        a, b, c = bisect_right(cumulative, first), bisect_right(cumulative, second), bisect_right(cumulative, third)
        key = (a * symbols + b) * symbols + c
        known = self._combos.get(key)
        return self._combo(a, b, c, key) if known is None else known

    def _combo(self, a: int, b: int, c: int, key: int) -> _Combo:
        symbols = len(self.names)
        reels = (self.names[a], self.names[b], self.names[c])
        if a == b == c:
            outcome, pays, paid = "triple", a, self.triple[a]
        elif a in (b, c) or b == c:
            paired = b if b == c else a
            outcome, pays, paid = "pair", symbols + paired, self.pair[paired]
        else:
            outcome, pays, paid = "lose", -1, Decimal(0)
        loss = None
        if not paid:
            pays, loss = -1, SpinOutcome(reels=reels, outcome=outcome, multiplier=0.0, payout=0, streak=0, bonus=0.0)
        found = _Combo(reels, outcome, pays, loss)
        if len(self._combos) < COMBOS_CACHED:
            self._combos[key] = found
        return found

    def win(self, combo: _Combo, streak: int, bet: int) -> SpinOutcome:
        """A paying combination's outcome at this streak and bet."""
        effective, multiplier, bonus = self.paid(combo.pays, streak)
        outcome = SpinOutcome(
            reels=combo.reels,
            outcome=combo.outcome,
            multiplier=multiplier,
            payout=math.floor(bet * effective),
            streak=streak + 1,
            bonus=bonus,
        )
        if len(combo.wins) < WINS_CACHED:
            combo.wins[streak, bet] = outcome
        return outcome

    def paid(self, pays: int, streak: int) -> tuple[Decimal, float, float]:
        """A paying entry's effective multiplier `paid · (1 + bonus)` at this streak, as a decimal and a float, and
        the bonus as a float (levels x entries: a few hundred at most)."""
        level = min(streak, len(self.levels) - 1)
        key = pays * len(self.levels) + level
        if (known := self._paid.get(key)) is not None:
            return known
        symbols = len(self.names)
        paid = self.triple[pays] if pays < symbols else self.pair[pays - symbols]
        bonus = self.levels[level]
        effective = paid * (1 + bonus)
        found = self._paid[key] = (effective, float(effective), float(bonus))
        return found


@dataclass(frozen=True)
class SlotConfig:
    """A publishable machine; constructing one validates it, RTP bounds included."""

    symbols: tuple[SlotSymbol, ...]
    min_bet: int = 1
    max_bet: int = 10_000
    streak_bonus_step: float = 0.05
    streak_bonus_cap: float = 0.20
    # False: a draft whose RTP an operator is about to see (never stored, never played)
    check_rtp: bool = dataclass_field(default=True, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if not problems and self.check_rtp:
            rtp = odds(self).rtp
            if not RTP_MIN <= rtp <= RTP_MAX:
                problems.append(("symbols", f"theoretical RTP {rtp:.4f} is outside [{RTP_MIN:.2f}, {RTP_MAX:.2f}]"))
        if problems:
            raise InvalidGameConfig.of(problems)

    @cached_property
    def reel(self) -> _Reel:
        cumulative = tuple(sum(s.weight for s in self.symbols[: i + 1]) for i in range(len(self.symbols)))
        return _Reel(
            names=tuple(s.name for s in self.symbols),
            cumulative=cumulative,
            total=cumulative[-1],
            tickets=cumulative[-1] ** 3,
            triple=tuple(_decimal(s.triple_multiplier) for s in self.symbols),
            pair=tuple(_decimal(s.pair_multiplier) for s in self.symbols),
            step=_decimal(self.streak_bonus_step),
            cap=_decimal(self.streak_bonus_cap),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "symbols": [
                {
                    "name": s.name,
                    "weight": s.weight,
                    "triple_multiplier": s.triple_multiplier,
                    "pair_multiplier": s.pair_multiplier,
                }
                for s in self.symbols
            ],
            "min_bet": self.min_bet,
            "max_bet": self.max_bet,
            "streak_bonus_step": self.streak_bonus_step,
            "streak_bonus_cap": self.streak_bonus_cap,
        }

    @classmethod
    def from_dict(cls, data: object, *, check_rtp: bool = True) -> SlotConfig:
        """Parse `to_dict`'s shape; unknown keys (such as a published `rtp`) are ignored. `check_rtp=False`: every
        rule but the RTP bounds (a draft, to show its RTP before it is saved)."""
        raw = as_mapping(data, "config")
        defaults = cls.__dataclass_fields__
        return cls(
            symbols=tuple(
                _symbol(item, f"symbols[{i}]") for i, item in enumerate(as_list(field(raw, "symbols"), "symbols"))
            ),
            min_bet=as_int(raw.get("min_bet", defaults["min_bet"].default), "min_bet"),
            max_bet=as_int(raw.get("max_bet", defaults["max_bet"].default), "max_bet"),
            streak_bonus_step=as_number(
                raw.get("streak_bonus_step", defaults["streak_bonus_step"].default), "streak_bonus_step"
            ),
            streak_bonus_cap=as_number(
                raw.get("streak_bonus_cap", defaults["streak_bonus_cap"].default), "streak_bonus_cap"
            ),
            check_rtp=check_rtp,
        )


def _symbol(item: object, key: str) -> SlotSymbol:
    raw = as_mapping(item, key)
    return SlotSymbol(
        name=as_str(field(raw, "name", f"{key}."), f"{key}.name"),
        weight=as_int(field(raw, "weight", f"{key}."), f"{key}.weight"),
        triple_multiplier=as_number(field(raw, "triple_multiplier", f"{key}."), f"{key}.triple_multiplier"),
        pair_multiplier=as_number(field(raw, "pair_multiplier", f"{key}."), f"{key}.pair_multiplier"),
    )


def _decimal(value: float) -> Decimal:
    """The decimal an admin typed (0.05), not the binary float's expansion (0.05000000000000000277…)."""
    return Decimal(repr(value))


def _problems(config: SlotConfig) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(config.symbols) < 2:
        problems.append(("symbols", "a machine needs at least 2 symbols"))
    seen: set[str] = set()
    for i, symbol in enumerate(config.symbols):
        problems.extend(_symbol_problems(symbol, f"symbols[{i}]", seen))
    if config.min_bet < 1:
        problems.append(("min_bet", "min_bet must be at least 1"))
    if config.max_bet < config.min_bet:
        problems.append(("max_bet", "max_bet must be at least min_bet"))
    for key, value in (("streak_bonus_step", config.streak_bonus_step), ("streak_bonus_cap", config.streak_bonus_cap)):
        if not 0 <= value <= 1:
            problems.append((key, f"{key} must be between 0 and 1"))
    if config.streak_bonus_step > 0 and config.streak_bonus_cap / config.streak_bonus_step > MAX_BONUS_STEPS:
        problems.append(("streak_bonus_step", f"the cap must be reached within {MAX_BONUS_STEPS} steps"))
    return problems


def _symbol_problems(symbol: SlotSymbol, key: str, seen: set[str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not symbol.name.strip():
        problems.append((f"{key}.name", "a symbol needs a name"))
    elif symbol.name in seen:
        problems.append((f"{key}.name", f"duplicate symbol name {symbol.name!r}"))
    seen.add(symbol.name)
    if symbol.weight <= 0:
        problems.append((f"{key}.weight", "weight must be a positive integer"))
    for name in ("triple_multiplier", "pair_multiplier"):
        value = getattr(symbol, name)
        if not math.isfinite(value) or value < 0:
            problems.append((f"{key}.{name}", f"{name} must be a non-negative number"))
    return problems


def expected_streak_bonus(hit_rate: float, step: float, cap: float) -> float:
    """E[min(k*step, cap)] over the streak k before a spin.

    The streak is a Markov chain (k -> k+1 with p = hit_rate, else -> 0) whose stationary law is
    geometric, P(k) = (1-p) p^k, so P(k >= K) = p^K. A spin's own result does not depend on k, hence
    E[payout] = E[multiplier] * (1 + this).
    """
    if step <= 0 or cap <= 0:
        return 0.0
    expected, k = 0.0, 0
    while (bonus := min(k * step, cap)) < cap:
        expected += (1 - hit_rate) * hit_rate**k * bonus
        k += 1
    return expected + hit_rate**k * cap


def odds(config: SlotConfig) -> SlotOdds:
    """Exact odds from the weights: per symbol P(triple) = q^3 and P(exactly a pair) = 3 q^2 (1-q)."""
    total = sum(s.weight for s in config.symbols)
    hit = base = triples = pairs = 0.0
    for symbol in config.symbols:
        q = symbol.weight / total
        p_triple, p_pair = q**3, 3 * q * q * (1 - q)
        triples += p_triple
        pairs += p_pair
        base += p_triple * symbol.triple_multiplier + p_pair * symbol.pair_multiplier
        hit += (p_triple if symbol.triple_multiplier > 0 else 0.0) + (p_pair if symbol.pair_multiplier > 0 else 0.0)
    bonus = expected_streak_bonus(hit, config.streak_bonus_step, config.streak_bonus_cap)
    return SlotOdds(
        hit_rate=hit, base_rtp=base, rtp=base * (1 + bonus), triple_probability=triples, pair_probability=pairs
    )


def theoretical_rtp(config: SlotConfig) -> float:
    return odds(config).rtp


def spin(config: SlotConfig, rng: RandomSource, bet: int, streak: int) -> SpinOutcome:
    """One spin. A spin whose paytable multiplier is positive extends the streak; any other resets it."""
    if not config.min_bet <= bet <= config.max_bet:
        raise InvalidPlay.field("bet", f"bet must be between {config.min_bet} and {config.max_bet}")
    if streak < 0:
        raise InvalidPlay.field("streak", "streak must not be negative")
    reel = config.reel
    combo = reel.land(rng)
    if combo.loss is not None:
        return combo.loss
    known = combo.wins.get((streak, bet))
    return reel.win(combo, streak, bet) if known is None else known


def _default_symbols() -> tuple[SlotSymbol, ...]:
    """Weights are percentages. Hit rate 34.85 %, base RTP 92.72 %, RTP with streak bonus 95.16 %."""
    table = (
        ("cherry", 32, 6, 0),
        ("lemon", 26, 8, 1),
        ("bell", 18, 10, 2),
        ("star", 12, 25, 2),
        ("seven", 8, 40, 3),
        ("diamond", 4, 100, 5),
    )
    return tuple(SlotSymbol(name, weight, float(triple), float(pair)) for name, weight, triple, pair in table)


DEFAULT_SLOT_CONFIG = SlotConfig(symbols=_default_symbols())
