"""Reading plain JSON values into typed config fields: a wrong type is a refusal, never a crash."""

from __future__ import annotations

import math
from collections.abc import Mapping

from src.domain.games.errors import InvalidGameConfig


def _wrong(key: str, message: str) -> InvalidGameConfig:
    return InvalidGameConfig.of([(key, message)])


def field(data: Mapping[str, object], key: str, prefix: str = "") -> object:
    """The value at `key`; absent is a refusal naming the full path of the field."""
    if key not in data:
        raise _wrong(prefix + key, f"{prefix + key} is required")
    return data[key]


def as_mapping(value: object, key: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _wrong(key, f"{key} must be an object")
    return value


def as_list(value: object, key: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise _wrong(key, f"{key} must be a list")
    return list(value)


def as_int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(key, f"{key} must be an integer")
    return value


def as_number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong(key, f"{key} must be a finite number")
    return float(value)


def as_str(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise _wrong(key, f"{key} must be a string")
    return value
