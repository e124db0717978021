"""What the responsible-gaming rules need from the world: the players' limits, for any context that enforces them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from src.domain.limits.model import PlayerLimits
from src.domain.limits.play_time import PlayClock


class LimitRepository(Protocol):
    async def lock(self, user_id: str) -> PlayerLimits:
        """The player's limits (none set: an empty row is stored), locked until the transaction ends, so the
        purchases of one player are checked one at a time."""
        ...

    async def get(self, user_id: str) -> PlayerLimits:
        """As last committed (a player who never set any has none)."""
        ...

    async def save(self, limits: PlayerLimits) -> None:
        """Store what `lock` returned, changed."""
        ...

    async def restricted_among(self, user_ids: Sequence[str], now: datetime) -> set[str]:
        """Those of `user_ids` on a time-out or self-excluded at `now`, as last committed."""
        ...


class HasLimits(Protocol):
    """Responsible-gaming limits, for a unit of work of any context that enforces them."""

    @property
    def limits(self) -> LimitRepository: ...


class PlayTimeRepository(Protocol):
    """The players' active play time (see domain/limits/play_time); the play's unit of work keeps it."""

    async def lock(self, user_id: str) -> PlayClock:
        """The player's clock (a new player's: empty), locked until the transaction ends."""
        ...

    async def get(self, user_id: str) -> PlayClock:
        """As last committed (a player who never played: an empty clock)."""
        ...

    async def save(self, clock: PlayClock) -> None:
        """Store what `lock` returned, ticked."""
        ...

    async def session_totals(self, user_id: str, since: datetime) -> tuple[int, int]:
        """(net coins of the player's plays, cents of their paid purchases less refunds) since `since`, with what
        the transaction wrote."""
        ...


class HasPlayTime(Protocol):
    @property
    def play_time(self) -> PlayTimeRepository: ...
