"""Our uvicorn HTTP protocol writes a response's head with its first body chunk: one write for a small response,
and the same bytes on the wire as uvicorn's own protocol, on a real uvicorn server and a raw socket client."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from src.entrypoints.http.uvicorn_protocol import OneWriteHttpToolsProtocol
from tests.support.processes import free_port
from tests.support.realtime import eventually

Calls = list[tuple[str, bytes]]


class _Recorder:
    """The connection's transport, recording what the protocol hands it: each write or writelines is one
    system call on an idle socket (asyncio joins a writelines, uvloop makes it one writev)."""

    def __init__(self, transport: asyncio.Transport, calls: Calls) -> None:
        self._transport = transport
        self._calls = calls

    def write(self, data: bytes) -> None:
        self._calls.append(("write", bytes(data)))
        self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        chunks = list(chunks)
        self._calls.append(("writelines", b"".join(chunks)))
        self._transport.writelines(chunks)

    def close(self) -> None:
        self._calls.append(("close", b""))
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _recording(protocol: type[HttpToolsProtocol], calls: Calls) -> type[HttpToolsProtocol]:
    class Recording(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(_Recorder(transport, calls))

    return Recording


async def app(scope: Any, receive: Any, send: Any) -> None:
    """/small: one body; /stream: three chunks; /fail: an error after the head; /echo: the request body back."""
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/echo":
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})
        return
    headers = [(b"content-type", b"application/json")]
    if path == "/small":
        headers.append((b"content-length", b"11"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if path == "/fail":
        raise RuntimeError("after the head")
    if path == "/stream":
        for chunk in (b"one", b"two"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"three"})
        return
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


@asynccontextmanager
async def _serving(protocol: type[HttpToolsProtocol], calls: Calls) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(app, port=port, http=_recording(protocol, calls), log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, within_seconds=10)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _exchange(port: int, request: bytes, until: bytes, times: int) -> bytes:
    """Send raw request bytes; read until `until` has been seen `times` times or the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        received = b""
        while received.count(until) < times:
            chunk = await asyncio.wait_for(reader.read(65536), timeout=10)
            if not chunk:
                break
            received += chunk
        return received
    finally:
        writer.close()


def _get(path: str, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nhost: test\r\n{extra}\r\n".encode()


def _without_date(raw: bytes) -> bytes:
    return re.sub(rb"date: [^\r]*\r\n", b"", raw)


async def _both(request: bytes, until: bytes, times: int = 1) -> tuple[tuple[bytes, Calls], tuple[bytes, Calls]]:
    """The same exchange with uvicorn's own protocol and with ours: (answer, transport calls) of each."""
    results = []
    for protocol in (HttpToolsProtocol, OneWriteHttpToolsProtocol):
        calls: Calls = []
        async with _serving(protocol, calls) as port:
            answer = await _exchange(port, request, until, times)
        results.append((_without_date(answer), calls))
    return results[0], results[1]


def _writes(calls: Calls) -> list[bytes]:
    return [data for kind, data in calls if kind != "close"]


async def test_a_small_response_goes_out_in_one_write_with_the_same_bytes() -> None:
    (stock, stock_calls), (ours, our_calls) = await _both(_get("/small"), b'{"ok":true}')

    assert ours == stock
    assert ours.startswith(b"HTTP/1.1 200 OK\r\n")
    assert ours.endswith(b'\r\n\r\n{"ok":true}')
    assert len(_writes(stock_calls)) == 2  # head, body: what this protocol exists to merge
    assert [_without_date(data) for data in _writes(our_calls)] == [ours]  # head and body in one write


async def test_a_streamed_response_sends_its_head_with_the_first_chunk_and_every_chunk_in_order() -> None:
    (stock, stock_calls), (ours, our_calls) = await _both(_get("/stream"), b"0\r\n\r\n")

    assert ours == stock
    assert b"transfer-encoding: chunked" in ours
    assert ours.endswith(b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n")
    assert len(_writes(our_calls)) == len(_writes(stock_calls)) - 1 == 3


async def test_a_head_answer_is_written_at_once() -> None:
    (stock, _), (ours, our_calls) = await _both(_get("/small", "HEAD"), b"\r\n\r\n")

    assert ours == stock
    assert ours.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 11" in ours
    assert len(_writes(our_calls)) == 1


async def test_an_error_after_the_head_still_sends_the_head_then_closes() -> None:
    (stock, stock_calls), (ours, our_calls) = await _both(_get("/fail"), b"never")

    assert ours == stock
    assert ours.startswith(b"HTTP/1.1 200 OK\r\n")
    assert our_calls[-1][0] == "close"
    assert stock_calls[-1][0] == "close"


async def test_connection_close_answers_and_closes_after_one_write() -> None:
    (stock, _), (ours, our_calls) = await _both(_get("/small", extra="connection: close\r\n"), b"never")

    assert ours == stock
    assert b"connection: close" in ours
    assert ours.endswith(b'{"ok":true}')
    assert our_calls[0][0] == "writelines"
    assert {kind for kind, _ in our_calls[1:]} == {"close"}


async def test_expect_100_continue_gets_its_interim_answer_first() -> None:
    request = _get("/echo", "POST", "content-length: 5\r\nexpect: 100-continue\r\n") + b"hello"

    (stock, _), (ours, _) = await _both(request, b"hello")

    assert ours == stock
    assert ours.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert ours.endswith(b"hello")


async def test_pipelined_requests_are_answered_in_order() -> None:
    request = _get("/small") + _get("/stream") + _get("/small")

    (stock, _), (ours, our_calls) = await _both(request, b'{"ok":true}', times=2)

    assert ours == stock
    assert ours.count(b"HTTP/1.1 200 OK") == 3
    assert ours.index(b'{"ok":true}') < ours.index(b"three") < ours.rindex(b'{"ok":true}')
    assert len(_writes(our_calls)) == 1 + 3 + 1


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_body_larger_than_a_socket_buffer_arrives_whole(method: str) -> None:
    body = b"x" * 300_000
    request = f"{method} /echo HTTP/1.1\r\nhost: test\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body

    (stock, _), (ours, our_calls) = await _both(request, body)

    assert ours == stock
    assert ours.endswith(body)
    assert len(_writes(our_calls)) == 1
