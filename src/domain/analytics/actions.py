"""Player actions the client reports (screen views, clicks, custom steps): what may be tracked and what is kept.

An action's type comes from a documented vocabulary or is namespaced `custom:<name>`. Its context is a small
JSON object; keys that could carry personal or payment data are stripped at every depth before anything is
stored, and what is left must stay within the bounds below.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from src.domain.shared.errors import InvalidInput

ACTION_TYPES: frozenset[str] = frozenset(
    {
        "app_open",
        "app_close",
        "screen_view",
        "button_click",
        "game_open",
        "game_close",
        "shop_open",
        "item_view",
        "offer_view",
        "purchase_start",
        "purchase_cancel",
        "tutorial_step",
        "tutorial_complete",
        "notification_open",
        "share",
        "invite_sent",
        "settings_change",
        "leaderboard_view",
        "mission_view",
        "battlepass_view",
        "error_shown",
    }
)
CUSTOM_PREFIX = "custom:"
_CUSTOM_NAME = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
# a key whose lowercase letters and digits start with one of these (or contain `password`) is never kept
_SENSITIVE_PREFIXES = ("password", "passwd", "phone", "email", "card")

MAX_CONTEXT_BYTES = 2048  # the stored context, as compact JSON
MAX_CONTEXT_DEPTH = 4  # the context object is level 1 (e.g. context → object → list → object)
MAX_CONTAINER_ITEMS = 32  # keys of one object, items of one list
MAX_KEY_LENGTH = 64
MAX_STRING_LENGTH = 256


@dataclass(frozen=True)
class PlayerAction:
    """One tracked action: `tracked_at` is the server's clock, `client_ts` what the client said (kept as is)."""

    action_id: str
    user_id: str
    action_type: str
    context: dict[str, Any]
    client_ts: datetime | None
    tracked_at: datetime


def is_sensitive_key(key: str) -> bool:
    """`password`, `phone`, `email` and `card*` in any case, and their spellings with `_`, `-` or spaces
    (`Phone_Number`, `e-mail`, `cardNumber`, `new_password`)."""
    folded = "".join(ch for ch in key.lower() if ch.isalnum())
    return folded.startswith(_SENSITIVE_PREFIXES) or "password" in folded


def check_action_type(action_type: str, field: str = "action_type") -> str:
    if action_type in ACTION_TYPES:
        return action_type
    name = action_type.removeprefix(CUSTOM_PREFIX)
    if action_type.startswith(CUSTOM_PREFIX) and _CUSTOM_NAME.fullmatch(name):
        return action_type
    raise InvalidInput(
        "action_type must be one of the documented types or `custom:<name>` (lowercase letters, digits, `_.-`, "
        "at most 64)",
        details={"fields": [{"key": field}]},
    )


def stripped(value: Any) -> Any:
    """`value` without sensitive keys, at every depth (objects inside lists included)."""
    if isinstance(value, dict):
        return {key: stripped(item) for key, item in value.items() if not is_sensitive_key(str(key))}
    if isinstance(value, list):
        return [stripped(item) for item in value]
    return value


def clean_context(context: dict[str, Any] | None, field: str = "context") -> dict[str, Any]:
    """The context as it will be stored: sensitive keys gone, then held to the size bounds (400 naming `field`)."""
    if context is None:
        return {}
    kept = stripped(context)
    problem = _bounds_problem(kept, 1)
    if (
        problem is None
        and len(json.dumps(kept, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_CONTEXT_BYTES
    ):
        problem = f"is larger than {MAX_CONTEXT_BYTES} bytes as JSON"
    if problem is not None:
        raise InvalidInput(f"context {problem}", details={"fields": [{"key": field}]})
    return dict(kept)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _bounds_problem(value: Any, depth: int) -> str | None:
    if isinstance(value, dict | list):
        if depth > MAX_CONTEXT_DEPTH:
            return f"nests deeper than {MAX_CONTEXT_DEPTH} levels"
        if len(value) > MAX_CONTAINER_ITEMS:
            return f"has an object or list of more than {MAX_CONTAINER_ITEMS} items"
        if isinstance(value, dict) and any(len(str(key)) > MAX_KEY_LENGTH for key in value):
            return f"has a key longer than {MAX_KEY_LENGTH} characters"
        items = value.values() if isinstance(value, dict) else value
        return next((p for item in items if (p := _bounds_problem(item, depth + 1)) is not None), None)
    if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
        return f"has a string longer than {MAX_STRING_LENGTH} characters"
    return None
