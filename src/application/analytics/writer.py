"""The one writer of the OLAP tables: the in-process sink (no Kafka) and the Kafka consumer both call it."""

from __future__ import annotations

from collections.abc import Sequence

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import OlapStore
from src.application.analytics.rows import Row, event_row, ledger_rows
from src.application.analytics.tables import EVENT_COLUMNS, EVENTS, LEDGER, LEDGER_COLUMNS, PLAYER_ERASED, STREAM


class OlapEventWriter:
    """Writes a batch as two inserts (events, then ledger rows). A failure anywhere fails the batch, and the
    caller delivers all of it again: rows already written are written again under the same keys, and read once."""

    def __init__(self, olap: OlapStore, source: str = STREAM) -> None:
        self._olap = olap
        self._source = source

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        """A PlayerErased event is not stored: the player's rows, this batch's included, are deleted instead."""
        kept = [e for e in events if e.event_type != PLAYER_ERASED]
        await self.write_rows(
            [event_row(e, self._source) for e in kept], [row for e in kept for row in ledger_rows(e, self._source)]
        )
        for erased in {e.aggregate_id for e in events if e.event_type == PLAYER_ERASED}:
            await self._olap.delete_player(erased)

    async def write_rows(self, events: Sequence[Row], movements: Sequence[Row]) -> None:
        await self._olap.insert(EVENTS, EVENT_COLUMNS, events)
        await self._olap.insert(LEDGER, LEDGER_COLUMNS, movements)
