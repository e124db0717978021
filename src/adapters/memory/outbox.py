"""The relay's view of the in-memory outbox: the events units of work committed to `store.outbox`.

An event's position is its place in that append-only list (1, 2, …): commit order, as the SQL sequence.
Calls never await midway, so each is atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from datetime import datetime

from src.adapters.memory.uow import InMemoryStore
from src.application.shared.outbox import OutboxMessage
from src.domain.shared.events import DomainEvent


def _message(position: int, event: DomainEvent) -> OutboxMessage:
    return OutboxMessage(
        position=position,
        event_id=event.event_id,
        event_type=event.event_type,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=deepcopy(event.payload()),
        created_at=event.occurred_at,
    )


class InMemoryOutboxStore:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def unpublished(self, limit: int) -> list[OutboxMessage]:
        return self._pending(self._store.published, limit)

    async def mark_published(self, positions: Sequence[int], now: datetime, exported: Sequence[int] = ()) -> None:
        self._mark(self._store.published, positions, now)
        self._mark(self._store.exported, exported, now)

    async def pending_export(self, positions: Sequence[int]) -> list[int] | None:
        if any(position not in self._store.exported for position in self._store.published):
            return None  # the exporter lags: events older than these wait for it
        return sorted(position for position in positions if position not in self._store.exported)

    async def unexported(self, limit: int) -> list[OutboxMessage]:
        return self._pending(self._store.exported, limit)

    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None:
        self._mark(self._store.exported, positions, now)

    async def export_backlog(self) -> int:
        return len(self._store.outbox) - len(self._store.exported)

    def _pending(self, done: dict[int, datetime], limit: int) -> list[OutboxMessage]:
        messages: list[OutboxMessage] = []
        for position, event in enumerate(self._store.outbox, start=1):
            if len(messages) == limit:
                break
            if position not in done:
                messages.append(_message(position, event))
        return messages

    def _mark(self, done: dict[int, datetime], positions: Sequence[int], now: datetime) -> None:
        for position in positions:
            if 1 <= position <= len(self._store.outbox):
                done[position] = now
