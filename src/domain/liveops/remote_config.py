"""Remote config: the parameters the server applies for a player, resolved from three layers.

Precedence, highest first: the params of the variant the player is assigned in a *running* experiment, then a
segment's override map (for a segment the player is a member of), then DEFAULTS. Only the keys in ALLOWED are
accepted anywhere (an experiment with another key or a bad value is refused with 400 at creation), so a variant
can never reach a setting the server does not know how to apply safely. Odds are not a parameter: published slot
and gacha odds are the same for every player whatever their variant (fairness).

Ties inside a layer (a player in two running experiments, or in two segments, that set the same key) go to the
first in the caller's order: experiments by start time (oldest first), segments by name, so the answer is stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from src.domain.shared.errors import InvalidInput

ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")  # a catalog sku, a limited package or a banner id
MIN_DISCOUNT, MAX_DISCOUNT = 1, 90


class Source(StrEnum):
    EXPERIMENT = "experiment"
    SEGMENT = "segment"
    DEFAULT = "default"


def _featured_banner(value: Any) -> str | None:
    if isinstance(value, str) and ITEM_ID.fullmatch(value):
        return None
    return "featured_banner is an item id: 1–64 letters, digits, '_', '.' or '-'"


def _discount_percent(value: Any) -> str | None:
    # bool is an int in Python: True must not read as a 1 % discount
    if isinstance(value, int) and not isinstance(value, bool) and MIN_DISCOUNT <= value <= MAX_DISCOUNT:
        return None
    return f"discount_percent is a whole number from {MIN_DISCOUNT} to {MAX_DISCOUNT}"


ALLOWED = {"featured_banner": _featured_banner, "discount_percent": _discount_percent}
DEFAULTS: dict[str, Any] = {"featured_banner": None, "discount_percent": None}  # None: nothing featured, no discount


def param_errors(params: Any) -> list[tuple[str, str]]:
    """(key, message) for each problem; an empty list when every key is allowed and every value valid."""
    if not isinstance(params, Mapping):
        return [("", "params is an object")]
    problems = []
    for key, value in params.items():
        check = ALLOWED.get(key)
        if check is None:
            problems.append((key, f"unknown parameter {key!r}; allowed: {', '.join(sorted(ALLOWED))}"))
        elif (message := check(value)) is not None:
            problems.append((key, message))
    return problems


def check_params(params: Any, field: str) -> None:
    """Raise InvalidInput (400) naming `field.key` for each bad parameter."""
    problems = param_errors(params)
    if problems:
        fields = [
            {"key": f"{field}.{key}" if key else field, "message": message, "source": "body"}
            for key, message in problems
        ]
        raise InvalidInput(problems[0][1], details={"fields": fields})


@dataclass(frozen=True)
class Resolved:
    value: Any
    source: Source
    origin: str | None = None  # the experiment key or the segment name that set it


def resolve(
    experiments: Iterable[tuple[str, Mapping[str, Any]]],
    segments: Iterable[tuple[str, Mapping[str, Any]]],
    defaults: Mapping[str, Any] = DEFAULTS,
) -> dict[str, Resolved]:
    """The effective value of every allowed key. `experiments`: (key, variant params) of running experiments the
    player is assigned to; `segments`: (name, override map) of segments the player belongs to. Keys outside the
    allow-list are ignored (stored data from before the allow-list cannot leak through)."""
    result = {key: Resolved(defaults.get(key), Source.DEFAULT) for key in ALLOWED}
    for layer, source in ((segments, Source.SEGMENT), (experiments, Source.EXPERIMENT)):
        layer_set: set[str] = set()
        for origin, params in layer:
            for key, value in params.items():
                if key in ALLOWED and key not in layer_set and not param_errors({key: value}):
                    result[key] = Resolved(value, source, origin)
                    layer_set.add(key)
    return result
