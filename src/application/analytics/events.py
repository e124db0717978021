"""What travels the analytics pipeline: a committed outbox event in a transport-neutral envelope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from src.application.shared.outbox import OutboxMessage

ENVELOPE_VERSION = 1  # the payload schema of every event type today; bump per type when one changes shape
PLAYER_AGGREGATES = frozenset({"user", "wallet"})  # their aggregate id is the player's id


@dataclass(frozen=True)
class AnalyticsEvent:
    """One domain event (or tracked action) as the OLAP writer and Kafka see it; `event_id` is the outbox id."""

    event_id: str
    event_type: str
    version: int
    occurred_at: datetime
    player_id: str  # '' when the event is about no player (an announcement)
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]

    @classmethod
    def of(cls, message: OutboxMessage) -> AnalyticsEvent:
        return cls(
            event_id=message.event_id,
            event_type=message.event_type,
            version=ENVELOPE_VERSION,
            occurred_at=message.created_at,
            player_id=player_of(message.aggregate_type, message.aggregate_id, message.payload),
            aggregate_type=message.aggregate_type,
            aggregate_id=message.aggregate_id,
            payload=message.payload,
        )


def player_of(aggregate_type: str, aggregate_id: str, payload: dict[str, Any]) -> str:
    user_id = payload.get("user_id")
    if isinstance(user_id, str) and user_id:
        return user_id
    return aggregate_id if aggregate_type in PLAYER_AGGREGATES else ""
