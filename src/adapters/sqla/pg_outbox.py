"""Outbox rows on PostgreSQL as driver parameters: the unit of work's multi-row insert, and the same rows as a CTE
that a single-statement write carries (written only with that write, in its statement)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

from src.domain.shared.events import DomainEvent

_COLUMNS = "event_id, event_type, aggregate_type, aggregate_id, payload, created_at"
_TYPES = ("varchar", "varchar", "varchar", "varchar", "jsonb", "timestamptz")
PER_EVENT = len(_TYPES)  # parameters per event, in `_COLUMNS` order


def event_row(event: DomainEvent) -> tuple[object, ...]:
    """An event's outbox columns, in the order the outbox statements take them."""
    payload = json.dumps(event.payload())
    return event.event_id, event.event_type, event.aggregate_type, event.aggregate_id, payload, event.occurred_at


def event_parameters(events: Sequence[DomainEvent]) -> list[object]:
    parameters: list[object] = []
    for event in events:
        parameters += event_row(event)
    return parameters


def _rows(first: int, count: int) -> str:
    return ", ".join(
        "(" + ", ".join(f"${first + PER_EVENT * row + column}::{kind}" for column, kind in enumerate(_TYPES)) + ")"
        for row in range(count)
    )


@cache
def outbox_insert(count: int) -> str:
    """One INSERT of `count` events, parameters from $1."""
    return f"INSERT INTO outbox ({_COLUMNS}) VALUES {_rows(1, count)}"  # noqa: S608 - numbered placeholders only


@cache
def outbox_cte(first: int, count: int, source: str | None = None) -> str:
    """`outbox AS (…)`: `count` events, parameters from `$first`; with `source`, inserted once per row of that CTE
    (its one row: written; no row: nothing written), else always."""
    if source is None:
        return f"outbox AS (INSERT INTO outbox ({_COLUMNS}) VALUES {_rows(first, count)})"  # noqa: S608
    return (
        f"outbox AS (INSERT INTO outbox ({_COLUMNS}) SELECT event.* FROM (VALUES {_rows(first, count)}) "  # noqa: S608
        f"AS event ({_COLUMNS}) CROSS JOIN {source})"
    )
