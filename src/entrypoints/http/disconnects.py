"""A client that goes away mid-request (a closed tab, a stopped load generator) is not a server error.

The request context notes in the scope when the server reports the disconnect; an error raised after that
(typically Litestar's "client disconnected prematurely" while the body was being read) is logged as one info
line, and the request is recorded with status 499 (nginx's "client closed request"), so the access log says
what happened and the 5xx metrics operators alert on stay clean. Nothing reaches the client: it is gone.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.types import Receive, ReceiveMessage, Scope

from src.entrypoints.http.request_id import request_id_of

CLIENT_CLOSED_REQUEST = 499
_STATE_KEY = "client_disconnected"
logger = structlog.get_logger("casino_club.http")


def noting_disconnect(scope: Scope, receive: Receive) -> Receive:
    """`receive` that remembers in the scope when the server says the client disconnected."""

    async def wrapped() -> ReceiveMessage:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.setdefault("state", {})[_STATE_KEY] = True
        return message

    return wrapped


def client_disconnected(scope: Scope) -> bool:
    return bool(scope.get("state", {}).get(_STATE_KEY))


def client_gone(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.info(
        "client disconnected before the response",
        request_id=request_id_of(request.scope),
        method=request.method,
        path=request.url.path,
        error=str(exc),
    )
    return Response(None, status_code=CLIENT_CLOSED_REQUEST)
