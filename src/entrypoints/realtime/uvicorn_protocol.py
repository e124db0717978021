"""uvicorn's WebSocket protocol plus one ASGI extension: write a text frame now, from the caller, when it can
(and, at shutdown, the close code the README promises).

A broadcast sends the same small frame to every socket from one fan-out loop. Through the ASGI `send` chain
(the Litestar wrappers, uvicorn's coroutine, websockets' framing) each send costs more than the kernel's
write itself, and 2,000 of them in a row set the broadcast's tail latency. The extension lets the realtime
endpoint hand the frame straight to the transport: encoded once per distinct text, written at once, no
coroutine. It answers False whenever the ordinary path has something to do (handshake not complete, closing,
transport paused by backpressure, compression negotiated, bytes of websockets' own still unsent), and the
caller then sends through ASGI as usual, so it never changes what goes on the wire, only how fast.

Apps served elsewhere (a test client, another ASGI server) simply do not see the extension.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

from src.application.realtime.connection import CloseCode

WRITE_NOW_EXTENSION = "casino_club.websocket.write_now"
"""scope["extensions"][WRITE_NOW_EXTENSION]["text"]: (text) -> bool, True once the frame is written."""
FRAME_CACHE_SIZE = 256
GOING_AWAY = int(CloseCode.GOING_AWAY)

WriteNow = Callable[[str], bool]


class TextFrames:
    """Server text frames by payload: a broadcast's frame is encoded once, not once per socket."""

    def __init__(self, capacity: int = FRAME_CACHE_SIZE) -> None:
        self._capacity = capacity
        self._frames: dict[str, bytes] = {}

    def __call__(self, text: str) -> bytes:
        frame = self._frames.get(text)
        if frame is None:
            # unmasked (server side), no extensions: exactly what websockets itself would write
            frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
            if len(self._frames) >= self._capacity:
                self._frames.clear()  # per-user frames are sent once; a broadcast refills at once
            self._frames[text] = frame
        return frame


_text_frames = TextFrames()


class RealtimeWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)  # absent when the upgrade was refused
        if scope is not None:
            scope["extensions"][WRITE_NOW_EXTENSION] = {"text": self.write_text_now}

    def shutdown(self) -> None:
        """uvicorn closes the sockets still open at shutdown with 1012 (service restart); ours say 1001 (going
        away), the RFC 6455 code for a server going down that every client library knows, as the app's own close
        does (README, Realtime)."""
        if self.close_sent or not self.handshake_complete:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
        self.conn.send_close(GOING_AWAY)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    def write_text_now(self, text: str) -> bool:
        connection = self.conn
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
            or connection.state is not State.OPEN
            or connection.extensions
            or connection.expect_continuation_frame
            or connection.writes
        ):
            return False
        self.transport.write(_text_frames(text))
        return True


def write_now_of(scope: Any) -> WriteNow | None:
    """The extension's writer, when the server offers it."""
    extension = (scope.get("extensions") or {}).get(WRITE_NOW_EXTENSION)
    return extension.get("text") if isinstance(extension, dict) else None
