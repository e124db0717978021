"""Domain events: facts that happened, recorded in the same transaction as the change (outbox)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Subclasses set `event_type` and `aggregate_type`; `aggregate_id` says which thing changed."""

    event_type: ClassVar[str] = "domain_event"
    aggregate_type: ClassVar[str] = "none"

    aggregate_id: str
    occurred_at: datetime
    event_id: str = field(default_factory=new_event_id)

    def payload(self) -> dict[str, Any]:
        """JSON-ready body of the event (everything but the envelope fields)."""
        envelope = {"aggregate_id", "occurred_at", "event_id"}
        values: dict[str, Any] = {}
        for item in fields(self):  # instance fields only: event_type and aggregate_type are class constants
            if item.name in envelope:
                continue
            value = getattr(self, item.name)
            values[item.name] = value.isoformat() if isinstance(value, datetime) else value
        return values
