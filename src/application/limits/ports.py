"""What the responsible-gaming rules need from the world: the players' limits, for any context that enforces them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from src.domain.limits.model import PlayerLimits


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
