"""Facts of play, for leaderboards, missions, analytics and realtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SpinSettled(DomainEvent):
    event_type: ClassVar[str] = "SpinSettled"
    aggregate_type: ClassVar[str] = "user"

    spin_id: str
    bet: int
    payout: int
    outcome: str
    streak: int


@dataclass(frozen=True, kw_only=True)
class GachaPulled(DomainEvent):
    event_type: ClassVar[str] = "GachaPulled"
    aggregate_type: ClassVar[str] = "user"

    pull_id: str
    count: int
    cost: int
    rarities: list[str]
    legendary_count: int
