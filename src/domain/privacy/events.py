from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from src.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class PlayerErased(DomainEvent):
    """A player's personal data was erased: the OLAP writer deletes their rows when it sees this (after every
    earlier event of theirs, since the pipeline keeps commit order)."""

    event_type: ClassVar[str] = "PlayerErased"
    aggregate_type: ClassVar[str] = "user"
