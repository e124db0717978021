"""Request ids: echoed from `X-Request-ID` when it is sane, generated otherwise; kept in the ASGI scope."""

from __future__ import annotations

import random
import re

from litestar.types import Scope

HEADER = "x-request-id"
_STATE_KEY = "request_id"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _from_headers(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER.encode():
            candidate = value.decode("latin-1")
            return candidate if _SAFE.match(candidate) else None
    return None


def _new_id() -> str:
    """32 hex digits, as a uuid4's: a correlation id, not a secret, so no system call for entropy per request."""
    return f"{random.getrandbits(128):032x}"


def request_id_of(scope: Scope) -> str:
    """The request's id, decided once per request and reused by logs, errors and the response header."""
    state = scope.setdefault("state", {})
    request_id = state.get(_STATE_KEY)
    if request_id is None:
        request_id = _from_headers(scope) or _new_id()
        state[_STATE_KEY] = request_id
    return str(request_id)
