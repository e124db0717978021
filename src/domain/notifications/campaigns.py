"""Campaigns: a message to an audience at `scheduled_at`, delivered once per user by the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from src.domain.notifications.audience import Target
from src.domain.notifications.model import Channel, check_message, field_error
from src.domain.shared.errors import DomainError


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"
    DISPATCHING = "dispatching"
    DONE = "done"
    CANCELLED = "cancelled"


class CampaignNotCancellable(DomainError):
    code = "NOT_CANCELLABLE"
    default_message = "only a scheduled or dispatching campaign can be cancelled"


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    body: str
    channels: frozenset[Channel]
    target: Target
    scheduled_at: datetime
    created_by: str
    created_at: datetime
    status: CampaignStatus = CampaignStatus.SCHEDULED
    targeted: int = 0
    sent: int = 0
    failed: int = 0
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        check_message(self.title, self.body)
        if not self.channels:
            raise field_error("channels", "at least one channel is needed")

    @property
    def open(self) -> bool:
        return self.status in (CampaignStatus.SCHEDULED, CampaignStatus.DISPATCHING)
