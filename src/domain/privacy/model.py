"""Privacy requests: a player's export of their data, or the erasure of it, and the tombstone an erasure leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RequestKind(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


class RequestStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"  # an export whose archive can be downloaded until `expires_at`
    DONE = "done"  # an erasure carried out
    EXPIRED = "expired"  # an export whose archive was deleted
    FAILED = "failed"


FINISHED = frozenset({RequestStatus.READY, RequestStatus.DONE, RequestStatus.EXPIRED, RequestStatus.FAILED})


@dataclass
class PrivacyRequest:
    id: str
    user_id: str
    kind: RequestKind
    created_at: datetime
    updated_at: datetime
    status: RequestStatus = RequestStatus.QUEUED
    progress: int = 0  # percent
    completed_at: datetime | None = None
    expires_at: datetime | None = None  # an export's archive: downloadable until then
    archive_bytes: int | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def advance(self, progress: int, now: datetime) -> None:
        self.status = RequestStatus.RUNNING
        self.progress = max(self.progress, min(99, progress))
        self.updated_at = now

    def export_ready(self, size: int, now: datetime, expires_at: datetime) -> None:
        self.status, self.progress, self.archive_bytes = RequestStatus.READY, 100, size
        self.completed_at = self.updated_at = now
        self.expires_at = expires_at

    def erased(self, now: datetime) -> None:
        self.status, self.progress = RequestStatus.DONE, 100
        self.completed_at = self.updated_at = now

    def fail(self, now: datetime) -> None:
        self.status, self.completed_at, self.updated_at = RequestStatus.FAILED, now, now

    def expire(self, now: datetime) -> None:
        self.status, self.archive_bytes, self.updated_at = RequestStatus.EXPIRED, None, now

    def status_at(self, now: datetime) -> RequestStatus:
        """A ready archive past its time is expired, whether or not the sweep has deleted it yet."""
        if self.status is RequestStatus.READY and self.expires_at is not None and self.expires_at <= now:
            return RequestStatus.EXPIRED
        return self.status

    def downloadable(self, now: datetime) -> bool:
        return self.kind is RequestKind.EXPORT and self.status_at(now) is RequestStatus.READY


@dataclass(frozen=True)
class PersonalValues:
    """What identifies the player as a person, as stored today: erased wherever it appears in their rows."""

    site_id: str
    nickname: str
    email: str | None = None
    phone_number: str | None = None
    ips: frozenset[str] = field(default_factory=frozenset)
    user_agents: frozenset[str] = field(default_factory=frozenset)
    # the end of the player's self-exclusion, if one ran when this was read: it outlives the erasure
    self_excluded_until: datetime | None = None

    def all(self) -> list[str]:
        """Every value, longest first (so a value inside another is not replaced before it)."""
        values = {self.site_id, self.nickname, *self.ips, *self.user_agents}
        values |= {value for value in (self.email, self.phone_number) if value}
        return sorted((value for value in values if value), key=len, reverse=True)


ERASED = "[erased]"
# a value shorter than this is replaced only where it is the whole text: inside longer text it is not
# distinctive enough (a nickname "bet" in "slot_bet") and replacing it would damage what is kept
MIN_EMBEDDED = 5


def scrub(value: Any, personal: list[str]) -> Any:
    """`value` (text or a JSON document, keys included) with the personal values replaced by ERASED."""
    if isinstance(value, str):
        if value in personal:
            return ERASED
        for secret in personal:
            if len(secret) >= MIN_EMBEDDED and secret in value:
                value = value.replace(secret, ERASED)
        return value
    if isinstance(value, list):
        return [scrub(item, personal) for item in value]
    if isinstance(value, dict):
        return {scrub(key, personal): scrub(item, personal) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Tombstone:
    """What an erasure did and when: per table, rows deleted or pseudonymized (no personal value in it)."""

    user_id: str
    request_id: str
    requested_at: datetime
    erased_at: datetime
    record: dict[str, Any]
