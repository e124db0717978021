"""A local Web Push service for tests: a tiny HTTP/1.1 server on 127.0.0.1 that plays the browser's push
service. It checks each request's VAPID JWT (ES256, signed by the key in `k=`), decrypts the aes128gcm body
with `http_ece` using the browser's private key, and answers with the status codes a test queues up."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser keeps for one subscription: its ECDH key pair and the auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass(frozen=True)
class ReceivedPush:
    path: str
    headers: dict[str, str]
    claims: dict[str, Any]
    vapid_key: str
    payload: dict[str, Any]


class PushServiceStub:
    """`answers` are popped per request (then 201). `received` holds every push that passed the checks;
    `refused` every request that did not (with the reason)."""

    def __init__(self, browser: BrowserKeys) -> None:
        self.browser = browser
        self.answers: deque[int] = deque()
        self.received: list[ReceivedPush] = []
        self.refused: list[str] = []
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> PushServiceStub:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    async def wait_for(self, count: int) -> None:
        """Until `count` requests arrived (callers bound it with asyncio.timeout)."""
        while len(self.received) + len(self.refused) < count:
            self.arrived.clear()
            await self.arrived.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self._handle(request_line.split()[1], headers, body)
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()
            self.arrived.set()

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            received = self._check(path, headers, body)
        except Exception as exc:
            self.refused.append(f"{type(exc).__name__}: {exc}")
            return 400
        self.received.append(received)
        return self.answers.popleft() if self.answers else 201

    def _check(self, path: str, headers: dict[str, str], body: bytes) -> ReceivedPush:
        scheme, _, params = headers["authorization"].partition(" ")
        if scheme != "vapid" or headers.get("content-encoding") != "aes128gcm":
            raise ValueError("not a VAPID aes128gcm push")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        signer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        claims = jwt.decode(fields["t"], signer, algorithms=["ES256"], audience="http://127.0.0.1")
        plain = http_ece.decrypt(body, private_key=self.browser.private_key, auth_secret=self.browser.auth,
                                 version="aes128gcm")  # fmt: skip
        return ReceivedPush(path, headers, claims, fields["k"], json.loads(plain))
