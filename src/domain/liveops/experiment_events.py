"""Experiment facts: a player's first assignment is an exposure, counted by the OLAP store for the scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ExperimentExposed(DomainEvent):
    """`aggregate_id` is the experiment's id; recorded once per player, with the stored assignment."""

    event_type: ClassVar[str] = "ExperimentExposed"
    aggregate_type: ClassVar[str] = "experiment"

    user_id: str
    experiment_key: str
    variant: str
    phase: int
