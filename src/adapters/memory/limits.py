"""In-memory twin of the players' limits: a row per player, locked as the SQL upsert locks it."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.domain.limits.model import PlayerLimits


@dataclass
class LimitTables:
    limits: dict[str, PlayerLimits] = field(default_factory=dict)


class InMemoryLimitRepository:
    def __init__(self, workspace: Workspace[LimitTables]) -> None:
        self._workspace = workspace

    async def lock(self, user_id: str) -> PlayerLimits:
        await self._workspace.lock_row("limits", user_id)
        return deepcopy(self._workspace.working.limits.setdefault(user_id, PlayerLimits(user_id)))

    async def get(self, user_id: str) -> PlayerLimits:
        """As last committed (a restriction taken elsewhere counts at once), or as this transaction changed it."""
        tables = self._workspace.working if self._workspace.holds("limits", user_id) else self._workspace.committed
        return deepcopy(tables.limits.get(user_id) or PlayerLimits(user_id))

    async def save(self, limits: PlayerLimits) -> None:
        await self._workspace.lock_row("limits", limits.user_id)
        self._workspace.working.limits[limits.user_id] = deepcopy(limits)

    async def restricted_among(self, user_ids: Sequence[str], now: datetime) -> set[str]:
        committed = self._workspace.committed.limits
        return {
            user_id
            for user_id in user_ids
            if (limits := committed.get(user_id)) is not None
            and limits.restriction is not None
            and limits.restriction.until > now
        }
