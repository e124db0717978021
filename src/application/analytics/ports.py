"""What analytics needs from the OLAP store (ClickHouse, or chDB embedded): append rows in batches, read by SQL.

The store is append-only and eventually consistent with the database; counts are exact because consumers
write each event once by its id (ARCHITECTURE.md, invariants).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from src.application.analytics.events import AnalyticsEvent
from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import UnitOfWork
from src.domain.analytics.actions import PlayerAction

Row = Sequence[object]


class OlapStore(Protocol):
    async def ping(self) -> None:
        """Returns once the store answers; raises DependencyUnavailable when it cannot be reached."""
        ...

    async def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None:
        """A statement without rows to return (DDL, a mutation); parameters bind as `{name:Type}`."""
        ...

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> int:
        """Append `rows` (values in `columns` order) in one batch; returns how many were written."""
        ...

    async def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> list[dict[str, object]]:
        """The result rows, each keyed by column name; parameters bind as `{name:Type}`."""
        ...

    async def delete_player(self, player_id: str) -> None:
        """Delete every row of the player from every table that has a `player_id` column (an erasure); returns
        once the rows are gone for every reader."""
        ...


class ActionRepository(Protocol):
    async def add_many(self, actions: Sequence[PlayerAction]) -> None:
        """Store tracked actions (their ids are new)."""
        ...

    async def recent(self, user_id: str, limit: int, after: Position | None) -> Page[PlayerAction]:
        """The player's actions, newest server time first (id breaks ties), after the cursor position."""
        ...

    async def delete_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` actions tracked before `cutoff`; returns how many went."""
        ...


class ActionUnitOfWork(UnitOfWork, Protocol):
    """The actions table; the recorded ActionTracked events go to the outbox in the same transaction."""

    @property
    def actions(self) -> ActionRepository: ...


class EventSink(Protocol):
    """Where the outbox exporter hands committed events: Kafka, or (embedded) the OLAP writer itself."""

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        """Returns once every event is durably accepted (Kafka: acks=all); raises otherwise, nothing marked."""


class ExportOutbox(Protocol):
    """The outbox as the exporter reads it: events not yet exported, in commit order (its own cursor, apart
    from the in-process relay's, so a Kafka outage never holds up in-process consumers)."""

    async def unexported(self, limit: int) -> list[OutboxMessage]: ...
    async def mark_exported(self, positions: Sequence[int], now: datetime) -> None: ...
    async def pending_export(self, positions: Sequence[int]) -> list[int] | None:
        """For a relay pass handed to the exporter (under its lock): None when events the relay published earlier
        still wait for export (the pass would overtake them), else those of `positions` not exported yet."""

    async def export_backlog(self) -> int:
        """How many committed events still wait for export."""


class EventConsumer(Protocol):
    """A long-running reader of the event stream into the OLAP store (`casino-club consume`)."""

    async def run(self) -> None:
        """Until cancelled."""
        ...
