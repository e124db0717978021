"""The write-now extension of our uvicorn WebSocket protocol, on a real uvicorn server and a websockets client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.protocol import State
from websockets.server import ServerProtocol

from src.entrypoints.realtime.uvicorn_protocol import (
    RealtimeWebSocketProtocol,
    TextFrames,
    WriteNow,
    write_now_of,
)
from tests.support.processes import free_port
from tests.support.realtime import eventually

Script = Callable[[WriteNow, Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[list[bool]]]
TEXTS = ["hi", "é" * 100, "x" * 70_000]  # the three header lengths: 7-bit, 16-bit, 64-bit


@asynccontextmanager
async def _serving(script: Script, outcomes: list[bool], *, compression: bool = False) -> AsyncIterator[str]:
    """A server whose only app runs `script` on each WebSocket with its writer and the ASGI send."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        write_now = write_now_of(scope)
        assert write_now is not None
        await receive()  # websocket.connect
        outcomes.extend(await script(write_now, send))
        await receive()  # until the client leaves

    port = free_port()
    config = uvicorn.Config(
        app, port=port, ws=RealtimeWebSocketProtocol, ws_per_message_deflate=compression, log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, within_seconds=10)
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


async def _received(url: str, count: int, *, compression: str | None = None) -> list[str]:
    async with connect(url, compression=compression, max_size=None) as client:
        return [str(await client.recv()) for _ in range(count)]


async def test_frames_written_now_reach_the_client_in_order_with_the_asgi_ones() -> None:
    async def script(write_now: WriteNow, send: Any) -> list[bool]:
        early = write_now("before the accept")
        await send({"type": "websocket.accept"})
        written = [write_now(TEXTS[0])]
        await send({"type": "websocket.send", "text": "through asgi"})
        written += [write_now(text) for text in TEXTS[1:]]
        return [early, *written]

    outcomes: list[bool] = []
    async with _serving(script, outcomes) as url:
        received = await _received(url, 4)
    assert outcomes == [False, True, True, True]  # nothing can be written before the handshake completes
    assert received == [TEXTS[0], "through asgi", *TEXTS[1:]]


async def test_it_declines_while_the_transport_is_backed_up_and_after_the_close() -> None:
    async def script(write_now: WriteNow, send: Any) -> list[bool]:
        await send({"type": "websocket.accept"})
        protocol = write_now.__self__  # type: ignore[attr-defined]
        protocol.pause_writing()  # what the transport does when its buffer is full
        paused = write_now("while paused")
        protocol.resume_writing()
        resumed = write_now("resumed")
        await send({"type": "websocket.close", "code": 4401})
        return [paused, resumed, write_now("after the close")]

    outcomes: list[bool] = []
    async with _serving(script, outcomes) as url, connect(url, compression=None) as client:
        first = await client.recv()
        await client.wait_closed()
    assert outcomes == [False, True, False]
    assert first == "resumed"
    assert client.close_code == 4401


async def test_with_compression_negotiated_frames_go_through_asgi() -> None:
    async def script(write_now: WriteNow, send: Any) -> list[bool]:
        await send({"type": "websocket.accept"})
        declined = write_now("compressed")
        await send({"type": "websocket.send", "text": "compressed"})
        return [declined]

    outcomes: list[bool] = []
    async with _serving(script, outcomes, compression=True) as url:
        received = await _received(url, 1, compression="deflate")
    assert outcomes == [False]
    assert received == ["compressed"]


@pytest.mark.parametrize("text", TEXTS, ids=["7-bit", "16-bit", "64-bit"])
def test_a_frame_is_what_websockets_itself_would_write(text: str) -> None:
    reference = ServerProtocol(state=State.OPEN)  # as after the handshake
    reference.send_text(text.encode())
    assert TextFrames()(text) == b"".join(reference.data_to_send())


def test_frames_are_encoded_once_per_text_and_the_cache_stays_bounded() -> None:
    frames = TextFrames(capacity=2)
    first = frames("a")
    assert frames("a") is first
    frames("b")
    frames("c")  # full: starts over
    assert frames("a") is not first
    assert frames("a") == first


def test_a_scope_without_the_extension_has_no_writer() -> None:
    assert write_now_of({"type": "websocket", "extensions": {"websocket.http.response": {}}}) is None
    assert write_now_of({"type": "websocket"}) is None
