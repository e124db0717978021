"""The load generator of the benchmarks: a minimal HTTP/1.1 keep-alive client, or httpx, driven by N workers."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import httpx

Request = tuple[str, dict[str, str], bytes]  # path, headers, body: what one worker sends again and again
FreshHeaders = Callable[[], dict[str, str]]  # headers that change on every request (an Idempotency-Key, say)


class RawClient:
    """The default load generator: HTTP/1.1 keep-alive on one connection per worker, each worker's request
    encoded once. A few tens of microseconds of CPU per request, where httpx spends milliseconds: on a small
    machine the load generator shares the CPUs with the servers, and must not be what limits the reference."""

    def __init__(self, base_url: str, requests: list[Request], fresh_headers: FreshHeaders | None = None) -> None:
        url = httpx.URL(base_url)
        self._host, self._port = url.host, url.port or 80
        self._fresh_headers = fresh_headers
        self._heads = [
            (
                f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            ).encode("latin-1")
            for path, headers, body in requests
        ]
        self._bodies = [body for _, _, body in requests]
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [None] * len(requests)

    def _encoded(self, worker: int) -> bytes:
        fresh = self._fresh_headers() if self._fresh_headers else {}
        extra = "".join(f"{name}: {value}\r\n" for name, value in fresh.items()).encode("latin-1")
        return self._heads[worker] + extra + b"\r\n" + self._bodies[worker]

    async def send(self, worker: int) -> tuple[int, bytes]:
        streams = self._streams[worker]
        if streams is None:
            streams = self._streams[worker] = await asyncio.open_connection(self._host, self._port)
        reader, writer = streams
        try:
            writer.write(self._encoded(worker))
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("server closed the connection")
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise ValueError("chunked responses are not supported by this client")
            body = await reader.readexactly(length)
        except BaseException:
            self._drop(worker)
            raise
        if close:
            self._drop(worker)
        return int(status_line.split(b" ", 2)[1]), body

    def _drop(self, worker: int) -> None:
        streams, self._streams[worker] = self._streams[worker], None
        if streams is not None:
            streams[1].close()

    async def aclose(self) -> None:
        for worker in range(len(self._streams)):
            self._drop(worker)


class HttpxClient:
    """SPIN_BENCH_CLIENT=httpx: one httpx.AsyncClient with a pool of one connection per worker."""

    def __init__(self, base_url: str, requests: list[Request], fresh_headers: FreshHeaders | None = None) -> None:
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
        self._client = httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)
        self._fresh_headers = fresh_headers
        self._requests = [
            (path, {"Content-Type": "application/json", **headers}, body) for path, headers, body in requests
        ]

    async def send(self, worker: int) -> tuple[int, bytes]:
        path, headers, body = self._requests[worker]
        fresh = self._fresh_headers() if self._fresh_headers else {}
        response = await self._client.post(path, content=body, headers={**headers, **fresh})
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop, as the servers use, so the load generator stays light; the default loop without it."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name() -> str:
    return "uvloop" if loop_factory() else "asyncio"


LoadClient = RawClient | HttpxClient
CLIENTS: dict[str, type[LoadClient]] = {"raw": RawClient, "httpx": HttpxClient}
LOAD_CLIENT = os.environ.get("SPIN_BENCH_CLIENT", "raw")
TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, httpx.HTTPError, ValueError, IndexError)


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.samples: dict[str, str] = {}

    def error(self, kind: str, sample: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.samples.setdefault(kind, sample[:300])


async def _worker(client: LoadClient, worker: int, deadline: float, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, body = await client.send(worker)
        except TRANSPORT_ERRORS as exc:
            tally.error(type(exc).__name__, str(exc))
            continue
        if status == 200:
            tally.latencies.append((time.perf_counter() - started) * 1000)
        else:
            tally.error(f"HTTP {status}", body.decode(errors="replace"))


async def drive(client: LoadClient, workers: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(*(_worker(client, worker, started + seconds, tally) for worker in range(workers)))
    return tally, time.perf_counter() - started
