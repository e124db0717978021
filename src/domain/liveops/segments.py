"""Segments: the five RFM groups (built in) and custom rule segments; membership is what the last recompute found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from src.domain.liveops.rfm import RfmGroup
from src.domain.shared.errors import DomainError, InvalidInput, NotFound

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


class SegmentKind(StrEnum):
    RFM = "rfm"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Segment:
    name: str
    kind: SegmentKind
    rule: str | None  # custom segments only
    members: int
    created_at: datetime | None
    computed_at: datetime | None  # when its membership was last computed
    params: dict[str, Any] | None = None  # its remote-config override (README: Remote config)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class RecomputeJob:
    id: str
    status: JobStatus
    progress: float  # 0.0-1.0
    trigger: str  # "admin" or "schedule"
    created_at: datetime
    finished_at: datetime | None
    players: int | None  # profiles computed, once done
    changes: int | None  # memberships that began or ended, once done
    error: str | None


@dataclass(frozen=True)
class MembershipChange:
    segment: str
    joined: bool
    at: datetime


class SegmentExists(DomainError):
    code = "SEGMENT_EXISTS"
    default_message = "a segment with this name exists"


class SegmentNotFound(NotFound):
    default_message = "no segment with this name"


def checked_name(name: str) -> str:
    """A custom segment's name: a letter, then letters, digits, '_' or '-' (64 at most); RFM names are taken."""
    if not NAME.fullmatch(name):
        message = "name is a letter then letters, digits, '_' or '-' (64 characters at most)"
        raise InvalidInput(message, details={"fields": [{"key": "name", "message": message, "source": "body"}]})
    if name.casefold() in {group.value.casefold() for group in RfmGroup}:
        raise SegmentExists(f"{name} is an RFM group")
    return name
