"""Who is calling: what every context checks before it acts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rank(StrEnum):
    STANDARD = "STANDARD"
    PREMIUM = "PREMIUM"
    VIP = "VIP"

    @property
    def level(self) -> int:
        return _RANK_ORDER[self]

    def at_least(self, required: Rank) -> bool:
        return self.level >= required.level


_RANK_ORDER = {Rank.STANDARD: 0, Rank.PREMIUM: 1, Rank.VIP: 2}


@dataclass(frozen=True)
class Principal:
    """Who is calling, as established from a valid access token and the live session state."""

    user_id: str
    session_id: str
    rank: Rank
    is_admin: bool

    @property
    def roles(self) -> tuple[str, ...]:
        return ("admin",) if self.is_admin else ()
