from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class BalanceChanged(DomainEvent):
    event_type: ClassVar[str] = "BalanceChanged"
    aggregate_type: ClassVar[str] = "wallet"

    currency: str
    delta: int
    balance_after: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class RewardGranted(DomainEvent):
    event_type: ClassVar[str] = "RewardGranted"
    aggregate_type: ClassVar[str] = "user"

    currency: str
    amount: int
    source: str
    granted_by: str | None
