from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UserSignedUp(DomainEvent):
    """A new player exists; the wallet grants the starting balance when it sees this."""

    event_type: ClassVar[str] = "UserSignedUp"
    aggregate_type: ClassVar[str] = "user"

    site_id: str
    nickname: str
    invite_code: str


@dataclass(frozen=True, kw_only=True)
class UserLoggedIn(DomainEvent):
    event_type: ClassVar[str] = "UserLoggedIn"
    aggregate_type: ClassVar[str] = "user"

    session_id: str


@dataclass(frozen=True, kw_only=True)
class AccountUpdated(DomainEvent):
    """An admin changed the account's rank, VIP tier or status, or an automatic VIP upgrade raised the tier (the
    realtime stream tells the player)."""

    event_type: ClassVar[str] = "AccountUpdated"
    aggregate_type: ClassVar[str] = "user"

    rank: str
    vip_tier: int
    status: str
    changed: list[str]
    previous_vip_tier: int | None = None  # the tier before, when this change moved it
    source: str = "admin"  # "admin", or "earned" for an automatic VIP upgrade
