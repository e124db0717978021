"""A minimal WebSocket client for the benchmark: thousands of sockets on one loop at a few microseconds a frame.

It speaks just enough of RFC 6455 for the server we test: the upgrade handshake (no extensions, so no
compression), unfragmented text frames from the server, pings answered with pongs, masked frames from us.
Each text frame is stored with its arrival time (time.time(), comparable with the publisher's) and parsed later.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from typing import cast

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: FIN set, masked as RFC 6455 requires of clients."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return header + mask + masked


class BenchSocket(asyncio.Protocol):
    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if self.close_code is None:
            self.close_code = 1006

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self._buffer += data
        if not self._upgraded and not self._finish_handshake():
            return
        self._read_frames(arrived)

    def request_upgrade(self, transport: asyncio.Transport, host: str, port: int, path: str) -> None:
        self._transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        self._transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def pause_reading(self) -> None:
        """Stop reading: the kernel buffers fill, then the server's writes to this socket stall (a slow client)."""
        assert self._transport is not None
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        assert self._transport is not None
        self._transport.resume_reading()

    def send_text(self, text: str) -> None:
        assert self._transport is not None
        self._transport.write(_frame(TEXT, text.encode()))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _finish_handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        status_line = bytes(self._buffer[: self._buffer.find(b"\r\n")])
        del self._buffer[: end + 4]
        if b" 101 " not in status_line:
            self.opened.set_exception(ConnectionError(status_line.decode(errors="replace")))
            self.close()
            return False
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _read_frames(self, arrived: float) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._on_frame(opcode, payload, arrived)

    def _on_frame(self, opcode: int, payload: bytes, arrived: float) -> None:
        if opcode == TEXT:
            self.received.append((arrived, payload))
        elif opcode == PING and self._transport is not None:
            self._transport.write(_frame(PONG, payload))
        elif opcode == CLOSE:
            self.close_code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
            self.close()


async def open_socket(host: str, port: int, path: str, receive_buffer: int | None = None) -> BenchSocket:
    """`receive_buffer` shrinks the kernel's receive buffer (SO_RCVBUF), so a paused reader backs up quickly."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, port))
    transport, protocol = await loop.create_connection(BenchSocket, sock=sock)
    protocol.request_upgrade(transport, host, port, path)
    await asyncio.wait_for(protocol.opened, 30)
    return protocol
