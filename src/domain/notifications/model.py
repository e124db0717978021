"""Notifications: the inbox entry, a player's delivery preferences (quiet hours in their own timezone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from src.domain.shared.errors import InvalidInput

# The kinds a player can switch off one by one; anything not listed is always on.
NOTIFICATION_TYPES = ("reward", "purchase", "achievement", "streak", "campaign", "system")
# Responsible gaming: a player on a time-out or self-excluded gets none of these on any channel, and no push or
# email of any type (account messages still reach the inbox and the sockets).
MARKETING_TYPES = frozenset({"campaign"})
MAX_TITLE, MAX_BODY = 120, 2000


def field_error(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})


class Channel(StrEnum):
    INBOX = "inbox"
    REALTIME = "realtime"
    PUSH = "push"
    EMAIL = "email"


def parse_channels(values: list[str]) -> frozenset[Channel]:
    try:
        channels = frozenset(Channel(value) for value in values)
    except ValueError as exc:
        raise field_error("channels", f"channels are some of {', '.join(Channel)}") from exc
    if not channels:
        raise field_error("channels", "at least one channel is needed")
    return channels


@dataclass
class Notification:
    id: str
    user_id: str
    type: str
    title: str
    body: str
    created_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    read_at: datetime | None = None

    def __post_init__(self) -> None:
        check_message(self.title, self.body)


def check_message(title: str, body: str) -> None:
    if not title.strip() or len(title) > MAX_TITLE:
        raise field_error("title", f"title must be 1-{MAX_TITLE} characters")
    if len(body) > MAX_BODY:
        raise field_error("body", f"body must be at most {MAX_BODY} characters")


def parse_clock(value: str, key: str) -> time:
    """'HH:MM' on a 24-hour clock."""
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError(value)
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise field_error(key, f"{key} must be HH:MM (00:00-23:59)") from exc


def check_timezone(name: str) -> str:
    """An IANA zone name such as 'Europe/Berlin'."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise field_error("timezone", "timezone must be an IANA name such as Europe/Berlin") from exc
    return name


@dataclass(frozen=True)
class QuietHours:
    """Do not disturb from `start` until `end` (local time); a window may cross midnight (23:00-08:00)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        moment = moment.replace(second=0, microsecond=0)
        if self.start == self.end:
            return False  # an empty window, not a whole day
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class NotificationSettings:
    user_id: str
    types_enabled: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(NOTIFICATION_TYPES, True))
    dnd: QuietHours | None = None
    email: bool = True
    push: bool = True
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.types_enabled) - set(NOTIFICATION_TYPES))
        if unknown:
            raise field_error("types_enabled", f"unknown notification types: {', '.join(unknown)}")
        check_timezone(self.timezone)

    def type_enabled(self, notification_type: str) -> bool:
        return self.types_enabled.get(notification_type, True)

    def quiet_at(self, now: datetime) -> bool:
        return self.dnd is not None and self.dnd.contains(now.astimezone(ZoneInfo(self.timezone)).time())

    def allows(self, channel: Channel, notification_type: str, now: datetime) -> bool:
        """Push and email honour the toggles, the type flags and quiet hours; inbox and realtime always go."""
        if channel in (Channel.INBOX, Channel.REALTIME):
            return True
        enabled = self.push if channel is Channel.PUSH else self.email
        return enabled and self.type_enabled(notification_type) and not self.quiet_at(now)

    def complete_types(self) -> dict[str, bool]:
        return {name: self.type_enabled(name) for name in NOTIFICATION_TYPES}
