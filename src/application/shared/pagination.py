"""Cursor pagination: opaque cursors that encode the position after the last item served."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

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
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return Position(datetime.fromisoformat(created_at), str(item_id))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not valid", details={"fields": [{"key": "cursor", "source": "query"}]}) from exc


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", details={"fields": [{"key": "limit"}]})
    return limit
