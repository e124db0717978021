"""Keyset pagination over (created_at, id), newest first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_

from src.application.shared.pagination import Page, Position, encode_cursor

Row = TypeVar("Row")
Item = TypeVar("Item")


def after_position(statement: Select[Any], created_at: Any, identifier: Any, after: Position | None) -> Select[Any]:
    ordered = statement.order_by(created_at.desc(), identifier.desc())
    if after is None:
        return ordered
    older = or_(created_at < after.created_at, and_(created_at == after.created_at, identifier < after.id))
    return ordered.where(older)


def to_page(
    rows: Sequence[Row], limit: int, to_item: Callable[[Row], Item], position: Callable[[Row], Position]
) -> Page[Item]:
    """`rows` were fetched with limit + 1, so one extra row means there is a next page."""
    has_more = len(rows) > limit
    kept = list(rows[:limit])
    next_cursor = encode_cursor(position(kept[-1])) if has_more and kept else None
    return Page([to_item(row) for row in kept], next_cursor)
