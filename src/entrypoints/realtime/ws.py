"""WS /api/realtime/ws: the user's realtime stream over a WebSocket.

Refused before the handshake completes (the client sees the upgrade fail) for a bad Origin, a missing, bad,
expired or revoked token, or too many connections. Once open: `{type:"ping"}` → `{type:"pong"}`,
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

from src.application.identity.sessions import authenticate
from src.application.notifications.realtime_connection import CloseCode, Connection
from src.domain.notifications.realtime import TooManyConnections
from src.domain.shared.errors import DomainError
from src.entrypoints.http.security import PUBLIC, container_of
from src.entrypoints.realtime.handshake import credentials_of, last_event_id_of, origin_allowed

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
    hub = container.realtime
    try:
        async with hub.connect(principal, last_event_id) as connection:
            await socket.accept(subprotocols=credentials.subprotocol)
            await _serve(socket, connection, hub.config.idle_timeout_seconds)
    except TooManyConnections:
        return await _refuse(socket, CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
    return None


async def _serve(socket: WebSocket[Any, Any, Any], connection: Connection, idle_seconds: float) -> None:
    """This task reads; one more sends (and closes the socket when the connection ends on our side)."""
    peer = _Peer()
    sender = asyncio.create_task(_send(socket, connection, peer))
    try:
        await _receive(socket, connection, idle_seconds, peer)
    finally:
        if not peer.gone:  # the sender still owes the close frame (revoked, overflow, idle, shutdown)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(sender), CLOSE_GRACE_SECONDS)
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


class _Peer:
    gone = False  # the client closed or vanished: nothing more may be sent


async def _send(socket: WebSocket[Any, Any, Any], connection: Connection, peer: _Peer) -> None:
    try:
        while (frame := await connection.next()) is not None:
            await socket.send_text(frame.wire)
        if not peer.gone and connection.close_code is not None:
            await socket.close(code=connection.close_code, reason=connection.close_reason)
    except (WebSocketDisconnect, OSError, RuntimeError):
        peer.gone = True
        connection.close(CloseCode.NORMAL, "client gone")


async def _receive(socket: WebSocket[Any, Any, Any], connection: Connection, idle_seconds: float, peer: _Peer) -> None:
    """Until the client leaves, or answers our close; an idle client is closed (the sender sends the frame)."""
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                text = await socket.receive_data(mode="text")
        except TimeoutError:
            connection.close(CloseCode.IDLE, "idle")
            return
        except WebSocketDisconnect:
            peer.gone = connection.close_code is None  # our close answered: the sender is done already
            connection.close(CloseCode.NORMAL, "client gone")
            return
        if connection.close_code is None:
            await _handle(connection, text)


async def _handle(connection: Connection, text: str) -> None:
    if len(text) > MAX_CLIENT_FRAME_CHARS:
        return connection.refuse("frame too large")
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
