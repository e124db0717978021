"""In-memory tracked actions: the unit-test twin of the SQL repository."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.application.shared.pagination import Page, Position, encode_cursor
from src.domain.analytics.actions import PlayerAction


@dataclass
class AnalyticsTables:
    actions: dict[str, PlayerAction] = field(default_factory=dict)  # by action id


def _key(action: PlayerAction) -> tuple[datetime, str]:
    return action.tracked_at, action.action_id


class InMemoryActionRepository:
    def __init__(self, workspace: Workspace[AnalyticsTables]) -> None:
        self._workspace = workspace

    async def add_many(self, actions: Sequence[PlayerAction]) -> None:
        for action in actions:
            self._workspace.working.actions[action.action_id] = action

    async def recent(self, user_id: str, limit: int, after: Position | None) -> Page[PlayerAction]:
        actions = sorted(
            (action for action in self._workspace.working.actions.values() if action.user_id == user_id),
            key=_key,
            reverse=True,
        )
        if after is not None:
            actions = [action for action in actions if _key(action) < (after.created_at, after.id)]
        kept = actions[:limit]
        more = len(actions) > limit and kept
        return Page(kept, encode_cursor(Position(*_key(kept[-1]))) if more else None)

    async def delete_before(self, cutoff: datetime, limit: int) -> int:
        """Deletes at once (a purge has nothing to roll back), from the committed rows and this copy alike."""
        old = sorted((a for a in self._workspace.committed.actions.values() if a.tracked_at < cutoff), key=_key)
        for action in old[:limit]:
            for tables in (self._workspace.committed, self._workspace.working, self._workspace.baseline):
                tables.actions.pop(action.action_id, None)
        return len(old[:limit])
