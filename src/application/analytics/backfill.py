"""Rebuild the OLAP tables from the database (sign-ups, sign-ins, plays, purchases, the ledger): for a new
deployment or a lost ClickHouse volume. Rows get the keys the live pipeline gives them, so running it again, or
over live data, changes no count."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import OlapStore
from src.application.analytics.rows import Row, entry_key, event_row, ledger_row
from src.application.analytics.tables import BACKFILL
from src.application.analytics.writer import OlapEventWriter

BACKFILL_ID_PREFIX = "bf:"


@dataclass(frozen=True)
class LedgerRecord:
    """One wallet ledger row as the database keeps it."""

    user_id: str
    currency: str
    delta: int
    reason: str
    ref_type: str
    ref_id: str
    created_at: datetime


HistoryRecord = AnalyticsEvent | LedgerRecord


@dataclass(frozen=True)
class HistoryPage:
    rows: int  # database rows read (a purchase is one row and an event per state it passed through)
    records: Sequence[HistoryRecord]


class AnalyticsHistory(Protocol):
    """The database's record of what happened, as the events the pipeline would have carried."""

    async def count(self) -> int:
        """How many database rows `pages` will read (for the progress bar)."""
        ...

    def pages(self, page_size: int) -> AsyncIterator[HistoryPage]: ...


def _rows(records: Sequence[HistoryRecord]) -> tuple[list[Row], list[Row]]:
    events: list[Row] = []
    movements: list[Row] = []
    for record in records:
        if isinstance(record, LedgerRecord):
            key = entry_key(record.ref_type, record.ref_id, record.currency, record.reason)
            movements.append(
                ledger_row(
                    key,
                    BACKFILL_ID_PREFIX + key,
                    record.created_at,
                    record.user_id,
                    record.currency,
                    record.reason,
                    record.delta,
                    BACKFILL,
                )
            )
        else:  # the ledger's own rows stand for a spin's bet and win, so events add no ledger rows here
            events.append(event_row(record, BACKFILL))
    return events, movements


async def backfill_olap(
    history: AnalyticsHistory, olap: OlapStore, progress: Callable[[int], None], page_size: int = 5000
) -> int:
    """Write every record, a page at a time (`progress` is told the rows read); returns the records written."""
    writer = OlapEventWriter(olap, BACKFILL)
    written = 0
    async for page in history.pages(page_size):
        events, movements = _rows(page.records)
        await writer.write_rows(events, movements)
        written += len(page.records)
        progress(page.rows)
    return written
