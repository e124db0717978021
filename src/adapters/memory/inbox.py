"""The consumers' event inbox in memory: the twin of the SQL `processed_events` rows, for repositories whose tables
keep a `processed` map of (consumer, event id) → when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from src.adapters.memory.identity import Workspace

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    class InboxTables(DataclassInstance, Protocol):
        processed: dict[tuple[str, str], datetime]  # (consumer, event id) → when


InboxTablesT = TypeVar("InboxTablesT", bound="InboxTables")


class InMemoryEventInbox(Generic[InboxTablesT]):
    _workspace: Workspace[InboxTablesT]

    async def first_events(self, consumer: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        new = set()
        for event_id in sorted(set(event_ids)):
            await self._workspace.lock_row("processed", (consumer, event_id))
            if (consumer, event_id) not in self._workspace.working.processed:
                self._workspace.working.processed[(consumer, event_id)] = now
                new.add(event_id)
        return new

    async def forget_events(self, consumer: str, before: datetime) -> int:
        """Deletes at once (a purge has nothing to roll back), from the committed rows and this copy alike."""
        committed = self._workspace.committed.processed
        stale = [key for key, at in committed.items() if key[0] == consumer and at < before]
        for key in stale:
            for tables in (self._workspace.committed, self._workspace.working, self._workspace.baseline):
                tables.processed.pop(key, None)
        return len(stale)
