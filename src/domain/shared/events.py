"""Domain events: facts that happened, recorded in the same transaction as the change (outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar

from src.domain.shared.ids import uuid4_hex

_ENVELOPE = frozenset({"aggregate_id", "occurred_at", "event_id"})
_BODY_FIELDS: dict[type, tuple[str, ...]] = {}  # by event class: the names `payload` takes, in order


def new_event_id() -> str:
    return uuid4_hex()


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
        values: dict[str, Any] = {}
        for name in _BODY_FIELDS.get(type(self)) or _body_fields(type(self)):
            value = getattr(self, name)
            values[name] = value.isoformat() if isinstance(value, datetime) else value
        return values


def _body_fields(event_class: type) -> tuple[str, ...]:
    """An event class's instance fields but the envelope's (event_type and aggregate_type are class constants),
    in order: looked up once per class (`_BODY_FIELDS`), not at every payload."""
    names = _BODY_FIELDS[event_class] = tuple(item.name for item in fields(event_class) if item.name not in _ENVELOPE)
    return names
