"""Who may open a realtime stream: the access token (query, subprotocol or header) and the page's Origin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection

from src.domain.shared.errors import InvalidInput
from src.entrypoints.http.security import bearer_token

BEARER_SUBPROTOCOL = "bearer"


@dataclass(frozen=True)
class Credentials:
    token: str
    subprotocol: str | None  # echoed back when the token came as `Sec-WebSocket-Protocol: bearer, <token>`


def credentials_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Credentials | None:
    """Browsers cannot set headers on a WebSocket or an EventSource: hence the query and subprotocol forms."""
    scope: dict[str, Any] = dict(connection.scope)
    offered = [str(value) for value in scope.get("subprotocols") or []]
    if len(offered) >= 2 and offered[0].lower() == BEARER_SUBPROTOCOL and offered[1]:
        return Credentials(offered[1], BEARER_SUBPROTOCOL)
    token = connection.query_params.get("token") or bearer_token(connection)
    return Credentials(token, None) if token else None


def origin_allowed(connection: ASGIConnection[Any, Any, Any, Any], allowed: list[str]) -> bool:
    """No Origin: not a browser (nothing to protect against). Otherwise same-origin or one of CORS_ORIGINS."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    if "*" in allowed or origin.rstrip("/") in {item.rstrip("/") for item in allowed}:
        return True
    return urlsplit(origin).netloc == connection.headers.get("host", "")


def last_event_id_of(raw: str | None) -> int | None:
    """Resume points are the ids we sent: non-negative integers."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput("last_event_id must be an event id", details={"fields": [{"key": "last_event_id"}]})
    return int(text)
