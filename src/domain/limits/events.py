"""Facts of responsible gaming, for the player's realtime channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class RealityCheckDue(DomainEvent):
    """The player's sitting reached another reality-check interval of active play (realtime `reality_check`)."""

    event_type: ClassVar[str] = "RealityCheckDue"
    aggregate_type: ClassVar[str] = "user"

    session_started_at: datetime
    session_minutes: int
    net_coins: int  # the sitting's payouts less its bets, in coins
    spent_cents: int  # real-money purchases paid in the sitting, less refunds
