"""Per-request context: the request id in every log line, and one access-log line per request."""

from __future__ import annotations

import time

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from src.entrypoints.http.disconnects import noting_disconnect
from src.entrypoints.http.request_id import HEADER, request_id_of

access_logger = structlog.get_logger("casino_club.access")
_HEADER_BYTES = HEADER.encode()


class RequestContextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                # a WebSocket's frames skip the wrapper: it only reads HTTP statuses, and a broadcast sends thousands
                if scope["type"] == ScopeType.HTTP:
                    await next_app(scope, noting_disconnect(scope, receive), send_wrapper)
                else:
                    await next_app(scope, receive, send)
            finally:
                if scope["type"] == ScopeType.HTTP:
                    access_logger.info(
                        "request",
                        method=scope.get("method"),
                        path=scope.get("path"),
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    )


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """before_send hook: runs for every response, including those for unknown routes."""
    if message["type"] == "http.response.start":
        headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != _HEADER_BYTES]
        headers.append((_HEADER_BYTES, request_id_of(scope).encode("latin-1")))
        message["headers"] = headers
