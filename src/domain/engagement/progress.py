"""The progress engine's rules: what a definition counts (a metric of play), and how (an operator).

A fact is one measurable thing a domain event says about a player (a spin: 1 spin, `bet` coins wagered, `payout`
coins won; a pull: its items, and its items of each rarity). A counter is a definition's rule: the metric it
reads, an optional rarity (for `pulls_of_rarity`), and the operator that folds facts into its progress:
- `add`: progress + value (a count, or the sum of a field: `coins_won` adds the payouts);
- `max`: the best single value seen (`coins_won` with `max`: the biggest win);
- `set`: the last value seen (`streak_days` with `set`: the streak's current count).
Missions, achievements (and whatever else counts plays) share these rules, so a new definition is data only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from src.domain.shared.errors import InvalidInput

RARITIES = ("Common", "Rare", "Epic", "Legendary")
MAX_TARGET = 1_000_000_000_000


class Metric(StrEnum):
    SPINS = "spins"  # slot spins
    WINS = "wins"  # slot spins that paid
    COINS_WAGERED = "coins_wagered"  # a spin's bet
    COINS_WON = "coins_won"  # a spin's payout
    GACHA_PULLS = "gacha_pulls"  # items pulled (a 10-pull is 10)
    PULLS_OF_RARITY = "pulls_of_rarity"  # items of the counter's rarity
    PURCHASES = "purchases"  # captured shop purchases
    GEMS_BOUGHT = "gems_bought"  # gems a captured purchase granted
    STREAK_DAYS = "streak_days"  # the streak's count after a tick
    LOGINS = "logins"  # sign-ins
    MISSIONS_COMPLETED = "missions_completed"  # missions completed (counted by achievements)


class Operator(StrEnum):
    ADD = "add"
    MAX = "max"
    SET = "set"


@dataclass(frozen=True)
class Fact:
    """`value` of `metric` (for a rarity when `rarity` is set), from one event of one player."""

    metric: Metric
    value: int
    rarity: str | None = None


@dataclass(frozen=True)
class Counter:
    metric: Metric
    operator: Operator = Operator.ADD
    rarity: str | None = None

    def matches(self, fact: Fact) -> bool:
        return fact.metric is self.metric and (self.rarity is None or fact.rarity == self.rarity)

    def fold(self, progress: int, facts: Iterable[Fact]) -> int:
        """The progress after these facts, in order."""
        for fact in facts:
            if not self.matches(fact):
                continue
            if self.operator is Operator.ADD:
                progress += fact.value
            elif self.operator is Operator.MAX:
                progress = max(progress, fact.value)
            else:
                progress = fact.value
        return progress


def combined(operator: Operator, progress: int, value: int) -> int:
    """`progress` after a pass whose facts fold (from 0) to `value`: the same as folding the facts one by one, as
    progress is never negative."""
    if operator is Operator.ADD:
        return progress + value
    if operator is Operator.MAX:
        return max(progress, value)
    return value


def field_error(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})


def counter(metric: str, operator: str, rarity: str | None) -> Counter:
    """A valid counter, or InvalidInput naming the field: a rarity only (and always) for `pulls_of_rarity`."""
    try:
        parsed_metric = Metric(metric)
    except ValueError as exc:
        raise field_error("metric", f"metric must be one of {', '.join(Metric)}") from exc
    try:
        parsed_operator = Operator(operator)
    except ValueError as exc:
        raise field_error("operator", f"operator must be one of {', '.join(Operator)}") from exc
    if parsed_metric is Metric.PULLS_OF_RARITY and rarity not in RARITIES:
        raise field_error("rarity", f"pulls_of_rarity needs a rarity: one of {', '.join(RARITIES)}")
    if parsed_metric is not Metric.PULLS_OF_RARITY and rarity is not None:
        raise field_error("rarity", "rarity is only for the pulls_of_rarity metric")
    return Counter(parsed_metric, parsed_operator, rarity)


def check_target(target: int) -> int:
    if not 1 <= target <= MAX_TARGET:
        raise field_error("target", f"target must be 1-{MAX_TARGET:,}")
    return target
