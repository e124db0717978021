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
    ref_type: str | None = None  # with ref_id (and currency, reason): the ledger row's unique reference
    ref_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RewardGranted(DomainEvent):
    event_type: ClassVar[str] = "RewardGranted"
    aggregate_type: ClassVar[str] = "user"

    """Coins or gems credited, or an item given (currency "item", amount = quantity, item_id and item_name).

    The reward fields are set by the rewards use case (POST /api/rewards, the admin wallet grant and server-internal
    grants); other credits (streaks, purchases) leave them None.
    """

    currency: str
    amount: int
    source: str
    granted_by: str | None
    reward_id: str | None = None
    reward_type: str | None = None  # COIN | GEM | ITEM
    item_id: str | None = None
    item_name: str | None = None
