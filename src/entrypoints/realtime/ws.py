"""WS /api/realtime/ws: the user's realtime stream over a WebSocket.

Refused before the handshake completes (the client sees the upgrade fail) for a bad Origin, a missing, bad,
expired or revoked token, or too many connections; with 1013 (try again later) when the session cannot be checked
because a dependency is down. Once open: `{type:"ping"}` → `{type:"pong"}`,
`{type:"resume", last_event_id}` replays what was missed; the server sends heartbeats, drops sockets that
send nothing for REALTIME_IDLE_TIMEOUT_SECONDS, and closes with 4401 when the session ends anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import Message

from src.application.identity.sessions import authenticate
from src.application.realtime.connection import CloseCode, Connection
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.json_nesting import MAX_JSON_DEPTH, nests_within
from src.domain.realtime.errors import TooManyConnections
from src.domain.shared.errors import DomainError
from src.entrypoints.http.errors import log_unavailable
from src.entrypoints.http.security import PUBLIC, container_of
from src.entrypoints.realtime.handshake import credentials_of, last_event_id_of, origin_allowed
from src.entrypoints.realtime.uvicorn_protocol import write_now_of

MAX_CLIENT_FRAME_CHARS = 4096
CLOSE_GRACE_SECONDS = 5.0  # for the last frames and the close frame to go out


class ClientFrame(msgspec.Struct):
    type: str
    last_event_id: int | str | None = None


_decode_frame = msgspec.json.Decoder(ClientFrame).decode


async def _refuse(socket: WebSocket[Any, Any, Any], code: CloseCode, reason: str) -> None:
    await socket.close(code=code, reason=reason)


@websocket("/api/realtime/ws", opt={PUBLIC: True}, name="realtime_ws")
async def realtime_socket(socket: WebSocket[Any, Any, Any]) -> None:
    container = container_of(socket)
    if not origin_allowed(socket, container.settings.cors_origins):
        return await _refuse(socket, CloseCode.ORIGIN_REFUSED, "origin not allowed")
    credentials = credentials_of(socket)
    try:
        if credentials is None:
            return await _refuse(socket, CloseCode.SESSION_REVOKED, "access token required")
        principal = await authenticate(credentials.token, container.identity)
        last_event_id = last_event_id_of(socket.query_params.get("last_event_id"))
    except DomainError as refusal:
        return await _refuse(socket, CloseCode.SESSION_REVOKED, refusal.code)
    except DependencyUnavailable as outage:  # the session cannot be checked now: the client reconnects later
        log_unavailable(socket, outage)
        return await _refuse(socket, CloseCode.TRY_AGAIN_LATER, "service unavailable")
    hub = container.realtime
    try:
        async with hub.connect(principal, last_event_id) as connection:
            await socket.accept(subprotocols=credentials.subprotocol)
            await _serve(socket, connection, hub.config.idle_timeout_seconds)
    except TooManyConnections:
        return await _refuse(socket, CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
    return None


async def _serve(socket: WebSocket[Any, Any, Any], connection: Connection, idle_seconds: float) -> None:
    """This task reads; the writer sends as frames are queued (and closes the socket when the connection ends on
    our side)."""
    writer = _Writer(socket, connection)
    connection.on_frames(writer.drain)
    try:
        await _receive(socket, connection, idle_seconds, writer)
        if not writer.gone:  # the writer still owes the close frame (revoked, overflow, idle, shutdown)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer.finished), CLOSE_GRACE_SECONDS)
    finally:
        await writer.stop()


class _Writer:
    """Sends a connection's frames as they are queued, on the loop that queued them.

    A broadcast reaches every socket from one fan-out loop, and waking a task per socket to send one small
    frame costs more than the send. So a frame goes straight to the transport when the server offers that
    (`uvicorn_protocol`); otherwise, or when the transport is backed up, it goes through the ASGI send in a
    task, and later frames queue behind it.
    """

    def __init__(self, socket: WebSocket[Any, Any, Any], connection: Connection) -> None:
        self._send = socket.send
        self._write_now = write_now_of(socket.scope)
        self._connection = connection
        self._sending: asyncio.Task[None] | None = None
        self._close_sent = False
        self.gone = False  # the client closed or vanished: nothing more may be sent
        self.finished = asyncio.get_running_loop().create_future()  # our close frame went out, or the client left

    def drain(self) -> None:
        if self._sending is not None or self.finished.done():
            return  # the running send drains the rest when it is done
        while (frame := self._connection.pop()) is not None:
            if self._write_now is None or not self._write_now(frame.wire):
                self._start({"type": "websocket.send", "text": frame.wire, "bytes": None})
                return
        code = self._connection.close_code
        if code is not None and not self._close_sent:
            self._close_sent = True
            self._start({"type": "websocket.close", "code": int(code), "reason": self._connection.close_reason})
        elif self._close_sent:
            self._finish()

    def client_gone(self) -> None:
        self.gone = True
        self._finish()
        self._connection.close(CloseCode.NORMAL, "client gone")

    async def stop(self) -> None:
        self._finish()  # nothing is sent once the handler returns
        if self._sending is not None:
            self._sending.cancel()
            await asyncio.gather(self._sending, return_exceptions=True)

    def _start(self, message: Message) -> None:
        self._sending = asyncio.create_task(self._send_then_drain(message))

    async def _send_then_drain(self, message: Message) -> None:
        try:
            await self._send(message)
        except (WebSocketDisconnect, OSError, RuntimeError):
            self._sending = None
            self.client_gone()
            return
        self._sending = None
        self.drain()

    def _finish(self) -> None:
        if not self.finished.done():
            self.finished.set_result(None)


async def _receive(
    socket: WebSocket[Any, Any, Any], connection: Connection, idle_seconds: float, writer: _Writer
) -> None:
    """Until the client leaves, or answers our close; an idle client is closed (the sender sends the frame)."""
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                text = await socket.receive_data(mode="text")
        except TimeoutError:
            connection.close(CloseCode.IDLE, "idle")
            return
        except WebSocketDisconnect:
            if connection.close_code is None:  # else the client answered our close: the writer is done already
                writer.client_gone()
            return
        if connection.close_code is None:
            await _handle(connection, text)


async def _handle(connection: Connection, text: str) -> None:
    if len(text) > MAX_CLIENT_FRAME_CHARS:
        return connection.refuse("frame too large")
    if not nests_within(text):
        return connection.refuse(f"frames nest at most {MAX_JSON_DEPTH} levels")
    try:
        frame = _decode_frame(text)
    except msgspec.DecodeError:
        return connection.refuse('frames are JSON objects with a "type"')
    if frame.type == "ping":
        return connection.ping()
    if frame.type == "resume":
        try:
            last_id = last_event_id_of(None if frame.last_event_id is None else str(frame.last_event_id))
        except DomainError as refusal:
            return connection.refuse(refusal.message)
        if last_id is None:
            return connection.refuse("resume needs last_event_id")
        return await connection.resume(last_id)
    return connection.refuse(f"unknown frame type {frame.type[:40]!r}")
