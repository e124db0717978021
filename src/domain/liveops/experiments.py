"""A/B experiments: a control and up to 9 treatments with integer weights, run in phases between two dates.

Assignment is a pure function of the experiment's salt and the player's id (a 64-bit hash scaled onto the weights),
so any instance computes the same variant without coordination. The variant a player first receives is stored and
kept for the rest of the experiment: a new phase changes the traffic split for players not yet assigned and never
moves one who was (stickiness).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from src.domain.shared.errors import DomainError, InvalidInput, NotFound

MIN_VARIANTS, MAX_VARIANTS = 2, 10  # a control and 1 to 9 treatments
MAX_WEIGHT = 1_000_000
MAX_DURATION = timedelta(days=366)
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,31}")
HASH_BITS = 64


class Goal(StrEnum):
    """What converts an exposed player (read from the OLAP store's events after the exposure)."""

    PURCHASE = "purchase"  # a captured shop purchase
    SPIN = "spin"  # a settled slot spin
    PULL = "pull"  # a gacha pull
    LOGIN = "login"  # a sign-in
    MISSION_CLAIM = "mission_claim"  # a claimed mission reward
    RETENTION_D1 = "retention_d1"  # active on the UTC day after the exposure


class ExperimentStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"
    STOPPED = "stopped"


class ExperimentNotFound(NotFound):
    default_message = "no such experiment"


class ExperimentKeyTaken(DomainError):
    code = "EXPERIMENT_KEY_TAKEN"  # 409
    default_message = "an experiment with this key exists"


class ExperimentClosed(DomainError):
    code = "ILLEGAL_TRANSITION"  # 409: a new phase for an experiment that ended or was stopped
    default_message = "the experiment has ended or was stopped"


def invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})


@dataclass(frozen=True)
class Variant:
    name: str
    weight: int  # the weight of the experiment's first phase (a phase's own weights are on the phase)
    params: dict[str, Any]


@dataclass(frozen=True)
class Phase:
    """A traffic split from `started_at` on; `weights` follow the experiment's variants in order."""

    number: int
    started_at: datetime
    weights: tuple[int, ...]


@dataclass(frozen=True)
class Experiment:
    id: str
    key: str
    variants: tuple[Variant, ...]  # the first is the control
    goal: Goal
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    phases: tuple[Phase, ...]
    audience: str | None = None  # a segment's name: only its members take part
    stopped_at: datetime | None = None

    @property
    def salt(self) -> str:
        """The hash input beside the player id: the key, unique and fixed for the experiment's life."""
        return self.key

    @property
    def control(self) -> Variant:
        return self.variants[0]

    @property
    def phase(self) -> Phase:
        return self.phases[-1]

    def status(self, now: datetime) -> ExperimentStatus:
        if self.stopped_at is not None:
            return ExperimentStatus.STOPPED
        if now < self.starts_at:
            return ExperimentStatus.SCHEDULED
        return ExperimentStatus.RUNNING if now < self.ends_at else ExperimentStatus.ENDED

    @property
    def closes_at(self) -> datetime:
        """When exposures and conversions stop counting: the end, or the stop if it came first."""
        return self.ends_at if self.stopped_at is None else min(self.ends_at, self.stopped_at)

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def assign(self, user_id: str) -> Variant:
        """The variant this phase's split gives the player (callers keep an earlier stored assignment instead)."""
        return self.variants[pick(self.phase.weights, bucket(self.salt, user_id))]

    def new_phase(self, weights: dict[str, int], now: datetime) -> Experiment:
        """The same variants under a new split; only while the experiment has not ended or been stopped."""
        if self.status(now) in (ExperimentStatus.ENDED, ExperimentStatus.STOPPED):
            raise ExperimentClosed()
        names = [v.name for v in self.variants]
        if sorted(weights) != sorted(names):
            raise invalid("variants", f"a new phase keeps the variants ({', '.join(names)}); only weights change")
        ordered = tuple(weights[name] for name in names)
        check_weights(ordered, allow_zero=True)
        return replace(self, phases=(*self.phases, Phase(self.phase.number + 1, now, ordered)))

    def stop(self, now: datetime) -> Experiment:
        """Stopping is final and idempotent: a second stop keeps the first time."""
        return self if self.stopped_at is not None else replace(self, stopped_at=now)


def bucket(salt: str, user_id: str) -> int:
    """A uniform 64-bit number from the salt and the player's id (SHA-256, first 8 bytes)."""
    digest = hashlib.sha256(f"{salt}\x1f{user_id}".encode()).digest()
    return int.from_bytes(digest[: HASH_BITS // 8], "big")


def pick(weights: tuple[int, ...], hashed: int) -> int:
    """The index whose share of the weights holds `hashed`: exact integer scaling, no float rounding."""
    point = (hashed * sum(weights)) >> HASH_BITS  # uniform on [0, total)
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise ValueError("weights must add up to more than zero")


def check_weights(weights: tuple[int, ...], *, allow_zero: bool) -> None:
    """Whole numbers up to MAX_WEIGHT; zero only in a later phase (closing an arm), and never all of them."""
    least = 0 if allow_zero else 1
    for index, weight in enumerate(weights):
        if not least <= weight <= MAX_WEIGHT:
            raise invalid(f"variants[{index}].weight", f"a weight is a whole number from {least} to {MAX_WEIGHT}")
    if sum(weights) == 0:
        raise invalid("variants", "at least one variant needs a weight above zero")


def check_variants(variants: tuple[Variant, ...]) -> None:
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise invalid("variants", f"an experiment has a control and 1 to {MAX_VARIANTS - 1} treatments")
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        if not NAME_PATTERN.fullmatch(variant.name):
            raise invalid(f"variants[{index}].name", "a variant name is 1–32 letters, digits, '_' or '-'")
        if variant.name in seen:
            raise invalid(f"variants[{index}].name", f"variant {variant.name!r} appears twice")
        seen.add(variant.name)
    check_weights(tuple(v.weight for v in variants), allow_zero=False)


def check_schedule(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise invalid("ends_at", "ends_at must be after starts_at")
    if ends_at <= now:
        raise invalid("ends_at", "ends_at must be in the future")
    if ends_at - starts_at > MAX_DURATION:
        raise invalid("ends_at", f"an experiment runs at most {MAX_DURATION.days} days")


def new_experiment(
    experiment_id: str,
    key: str,
    variants: tuple[Variant, ...],
    goal: Goal,
    window: tuple[datetime, datetime],
    audience: str | None,
    now: datetime,
) -> Experiment:
    """A checked experiment whose first phase starts with it."""
    if not KEY_PATTERN.fullmatch(key):
        raise invalid("key", "a key is 1–64 lower-case letters, digits, '_', '.' or '-' (a letter or digit first)")
    check_variants(variants)
    starts_at, ends_at = window
    check_schedule(starts_at, ends_at, now)
    first = Phase(1, starts_at, tuple(v.weight for v in variants))
    return Experiment(experiment_id, key, variants, goal, starts_at, ends_at, now, (first,), audience)


@dataclass(frozen=True)
class Assignment:
    """The variant a player received, stored the first time: it holds for the rest of the experiment."""

    experiment_id: str
    user_id: str
    variant: str
    phase: int
    assigned_at: datetime
