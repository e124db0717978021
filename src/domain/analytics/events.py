"""Analytics facts: a player's tracked action travels the outbox like any domain event (to the OLAP store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ActionTracked(DomainEvent):
    """`aggregate_id` is the player; `occurred_at` the server's time; the event id is the action id."""

    event_type: ClassVar[str] = "ActionTracked"
    aggregate_type: ClassVar[str] = "user"

    action_type: str
    context: dict[str, Any] = field(default_factory=dict)
    client_ts: str | None = None  # RFC 3339, as the client sent it
