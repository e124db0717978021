"""Cursor pagination: opaque cursors that encode the position after the last item served."""

from __future__ import annotations

import base64
import heapq
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from src.application.shared.json_nesting import nests_within
from src.domain.shared.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Position:
    """Items are ordered newest first by (created_at, id); a cursor points just past one of them."""

    created_at: datetime
    id: str


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.created_at.isoformat(), position.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    invalid = InvalidInput("cursor is not valid", details={"fields": [{"key": "cursor", "source": "query"}]})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode())
        if not nests_within(raw):
            raise invalid
        created_at, item_id = json.loads(raw)
        return Position(datetime.fromisoformat(created_at), str(item_id))
    except (ValueError, TypeError) as exc:
        raise invalid from exc


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", details={"fields": [{"key": "limit"}]})
    return limit


def merge_newest_first(sources: Sequence[Page[T]], position: Callable[[T], Position], limit: int) -> Page[T]:
    """One page from several sources that were each read newest first after the same cursor, `limit` items at
    most: the union's first `limit` items, and a cursor at the last of them, where every source resumes.

    Each source keeps its own order (a stable merge by time), so ties inside one source stay as it paged them.
    """
    merged = list(
        heapq.merge(*(page.items for page in sources), key=lambda item: position(item).created_at, reverse=True)
    )
    kept = merged[:limit]
    more = len(merged) > limit or any(page.next_cursor for page in sources)
    return Page(kept, encode_cursor(position(kept[-1])) if more and kept else None)
