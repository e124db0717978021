"""The wire form of an analytics event on Kafka: a JSON envelope, keyed by player, with its type in headers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from src.application.analytics.events import AnalyticsEvent


class EventMessage(msgspec.Struct, frozen=True):
    event_id: str
    event_type: str
    version: int
    occurred_at: datetime
    player_id: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventMessage)


def key_of(event: AnalyticsEvent) -> bytes:
    """One player's events share a partition, so they stay in order; others by the thing that changed."""
    return (event.player_id or f"{event.aggregate_type}:{event.aggregate_id}").encode()


def headers_of(event: AnalyticsEvent) -> list[tuple[str, bytes]]:
    return [
        ("event_type", event.event_type.encode()),
        ("event_id", event.event_id.encode()),
        ("version", str(event.version).encode()),
    ]


def encode(event: AnalyticsEvent) -> bytes:
    return _encoder.encode(
        EventMessage(
            event.event_id,
            event.event_type,
            event.version,
            event.occurred_at,
            event.player_id,
            event.aggregate_type,
            event.aggregate_id,
            event.payload,
        )
    )


def decode(value: bytes) -> AnalyticsEvent:
    """Raises msgspec.DecodeError (or ValidationError) for a message that is not an event envelope."""
    message = _decoder.decode(value)
    return AnalyticsEvent(
        event_id=message.event_id,
        event_type=message.event_type,
        version=message.version,
        occurred_at=message.occurred_at,
        player_id=message.player_id,
        aggregate_type=message.aggregate_type,
        aggregate_id=message.aggregate_id,
        payload=message.payload,
    )
