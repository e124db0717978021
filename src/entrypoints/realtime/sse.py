"""GET /api/realtime/sse: the same stream as Server-Sent Events.

Each event is one `data:` line holding the same JSON as on the WebSocket, with an `id:` line, so a
reconnecting EventSource sends `Last-Event-ID` and gets what it missed. Heartbeats are comments. The
stream ends when the session is revoked (a reconnect then gets 401) or the client reads too slowly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, get
from litestar.openapi import ResponseSpec
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from src.application.identity.sessions import authenticate
from src.application.realtime.hub import RealtimeHub
from src.domain.realtime.errors import TooManyConnections
from src.domain.shared.errors import Forbidden, Unauthorized
from src.domain.shared.principal import Principal
from src.entrypoints.http.security import PUBLIC, container_of
from src.entrypoints.realtime.handshake import credentials_of, last_event_id_of, origin_allowed

RETRY_MILLISECONDS = 3000


async def _events(
    hub: RealtimeHub, principal: Principal, last_event_id: int | None
) -> AsyncIterator[ServerSentEventMessage]:
    async with hub.connect(principal, last_event_id) as connection:
        yield ServerSentEventMessage(data=None, comment="connected", retry=RETRY_MILLISECONDS)
        while (frame := await connection.next()) is not None:
            if frame.type == "heartbeat":
                yield ServerSentEventMessage(data=None, comment="heartbeat")
            else:
                yield ServerSentEventMessage(data=frame.wire, id=frame.id)


class RealtimeEventsController(Controller):
    path = "/api/realtime"
    tags = ["realtime"]  # noqa: RUF012

    @get(
        "/sse",
        opt={PUBLIC: True},
        operation_id="realtime_sse",
        media_type="text/event-stream",
        response_description="`text/event-stream`: each event an `id:` and a `data:` line with {id, type, data, ts}",
        responses={
            HTTP_400_BAD_REQUEST: ResponseSpec(None, description="VALIDATION_ERROR: Last-Event-ID is not an event id"),
            HTTP_401_UNAUTHORIZED: ResponseSpec(None, description="UNAUTHORIZED, TOKEN_EXPIRED or TOKEN_REVOKED"),
            HTTP_403_FORBIDDEN: ResponseSpec(
                None, description="FORBIDDEN: an Origin not this API's nor in CORS_ORIGINS"
            ),
            HTTP_429_TOO_MANY_REQUESTS: ResponseSpec(None, description="RATE_LIMITED: too many realtime connections"),
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                None, description="SERVICE_UNAVAILABLE: the session cannot be checked now; retry after Retry-After"
            ),
        },
        summary="The user's realtime events as Server-Sent Events",
        description=(
            "Authenticate with `Authorization: Bearer <access token>` or `?token=` (EventSource sets no headers). "
            "`Last-Event-ID` (or `?last_event_id=`) replays what came after that id."
        ),
    )
    async def events(self, request: Request[Any, Any, Any]) -> ServerSentEvent:
        container = container_of(request)
        if not origin_allowed(request, container.settings.cors_origins):  # the WebSocket's rule
            raise Forbidden("origin not allowed")
        credentials = credentials_of(request)
        if credentials is None:
            raise Unauthorized
        principal = await authenticate(credentials.token, container.identity)
        raw_last = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
        last_event_id = last_event_id_of(raw_last)
        hub = container.realtime
        if hub.connection_count(principal.user_id) >= hub.config.max_connections_per_user:
            raise TooManyConnections(hub.config.max_connections_per_user)  # while a 429 can still be answered
        return ServerSentEvent(_events(hub, principal, last_event_id), headers={"X-Accel-Buffering": "no"})
