"""Per-request context: the request id in every log line, and one access-log line per request."""

from __future__ import annotations

import time

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from src.entrypoints.http.disconnects import noting_disconnect
from src.entrypoints.http.request_id import request_id_of

access_logger = structlog.get_logger("casino_club.access")


class RequestContextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # bound and reset by token rather than through `bound_contextvars` (a generator context manager per request)
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id_of(scope))
        try:
            if scope["type"] != ScopeType.HTTP:
                # a WebSocket's frames skip the wrapper: it only reads HTTP statuses, and a broadcast sends thousands
                await next_app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 0

            async def send_wrapper(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await next_app(scope, noting_disconnect(scope, receive), send_wrapper)
            finally:
                access_logger.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
