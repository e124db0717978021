"""Notification events, written to the outbox with the inbox row; the realtime hub delivers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class NotificationCreated(DomainEvent):
    """A notification was put in one user's inbox; `aggregate_id` is that user's id."""

    event_type: ClassVar[str] = "NotificationCreated"
    aggregate_type: ClassVar[str] = "user"

    notification_id: str
    type: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AnnouncementPublished(DomainEvent):
    """A message for every connected user; `aggregate_id` is the announcement (or campaign) id."""

    event_type: ClassVar[str] = "AnnouncementPublished"
    aggregate_type: ClassVar[str] = "announcement"

    announcement_id: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
