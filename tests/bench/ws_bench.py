"""2,000 concurrent WebSocket connections on one `casino-club serve` process (PostgreSQL + Redis): RSS and
broadcast latency from publish to receipt. Target: p99 < 100 ms.

How it is measured:
- 100 players with 20 connections each (REALTIME_MAX_CONNECTIONS_PER_USER raised to 20), all opened against
  the one app process; its resident memory is read from /proc before and after they connect.
- This process publishes announcements the way the outbox relay does (the application publisher on Redis
  streams, same namespace): the message carries `sent_at` (time.time() just before the publish), and each
  socket stamps its arrival with time.time() when the bytes come in; latency = arrival - sent_at, for every
  (broadcast, socket) pair. Broadcasts go out one every BROADCAST_INTERVAL_SECONDS after a few warm-up ones.
- The clients are `tests/bench/ws_client.py` sockets on one uvloop loop (a few microseconds a frame, no
  compression negotiated; its garbage collector is off while it measures), so the figures are the server's
  rather than the load generator's. A socket that misses a broadcast, or is closed, makes the run INVALID.
- The server runs as `casino-club serve` does in production: the collector settled after startup
  (src/entrypoints/runtime.py), no permessage-deflate.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

from src.adapters.realtime.channels import open_channels
from src.adapters.redis.realtime_ids import RedisRealtimeSequencer
from src.application.realtime.messages import RealtimeConfig, RealtimePublisher
from tests.bench.backends import throwaway_backends
from tests.bench.cpu import CpuMeter, app_pid
from tests.bench.load import loop_factory, loop_name
from tests.bench.login_bench import Latencies
from tests.bench.ws_client import BenchSocket, open_socket
from tests.support.processes import PROJECT_ROOT, serving

PLAYERS = 100
SOCKETS_PER_PLAYER = 20
CONNECT_CONCURRENCY = 50
WARMUP_BROADCASTS = 3
BROADCASTS = 40
BROADCAST_INTERVAL_SECONDS = 0.25
TARGET_P99_MS = 100.0
PASSWORD = "plum-orbit-canyon-42"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "ws.json"
SERVER_ENV = {
    "REALTIME_MAX_CONNECTIONS_PER_USER": str(SOCKETS_PER_PLAYER),
    "REALTIME_IDLE_TIMEOUT_SECONDS": "3600",  # the bench sockets only listen
}


def _raise_fd_limit(needed: int) -> int:
    """Sockets on both ends live here and in the child server (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, needed)) if hard != resource.RLIM_INFINITY else max(soft, needed)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def _rss_mib(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _sign_up(client: httpx.AsyncClient, gate: asyncio.Semaphore) -> str:
    site_id = f"ws{uuid.uuid4().hex[:14]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    async with gate:
        response = await client.post("/api/auth/signup", json=body)
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _connect_all(base_url: str, tokens: Sequence[str]) -> list[BenchSocket]:
    address = urlsplit(base_url)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(token: str) -> BenchSocket:
        async with gate:
            return await open_socket(
                address.hostname or "127.0.0.1", address.port or 80, f"/api/realtime/ws?token={token}"
            )

    return list(await asyncio.gather(*(one(token) for token in tokens for _ in range(SOCKETS_PER_PLAYER))))


async def _broadcast(env: dict[str, str]) -> None:
    """Announcements through the application publisher on the server's Redis namespace."""
    redis = Redis.from_url(env["REDIS_URL"])
    namespace = env["REDIS_NAMESPACE"]
    try:
        async with open_channels(
            redis, namespace=namespace, history=100, history_ttl_seconds=600, block_ms=200
        ) as channels:
            publisher = RealtimePublisher(channels, RedisRealtimeSequencer(redis, namespace), RealtimeConfig())
            for seq in range(WARMUP_BROADCASTS + BROADCASTS):
                data = {"seq": seq, "sent_at": time.time()}
                await publisher.to_everyone(uuid.uuid4().hex, "announcement", data, datetime.now(UTC))
                await asyncio.sleep(BROADCAST_INTERVAL_SECONDS)
    finally:
        await redis.aclose()


@dataclass
class Deliveries:
    latencies: Latencies = field(default_factory=Latencies)  # every measured (broadcast, socket) pair
    first: Latencies = field(default_factory=Latencies)  # per broadcast: its first socket
    last: Latencies = field(default_factory=Latencies)  # per broadcast: its last socket
    missing: int = 0  # pairs that never arrived


def _deliveries(sockets: Sequence[BenchSocket]) -> Deliveries:
    result = Deliveries()
    by_broadcast: dict[int, list[float]] = {}
    for socket in sockets:
        seen = set()
        for arrived, payload in socket.received:
            frame = json.loads(payload)
            if frame["type"] == "announcement" and frame["data"]["seq"] >= WARMUP_BROADCASTS:
                seen.add(frame["data"]["seq"])
                latency = (arrived - frame["data"]["sent_at"]) * 1000
                result.latencies.samples.append(latency)
                by_broadcast.setdefault(frame["data"]["seq"], []).append(latency)
        result.missing += BROADCASTS - len(seen)
    for latencies in by_broadcast.values():
        result.first.samples.append(min(latencies))
        result.last.samples.append(max(latencies))
    return result


async def _measure(env: dict[str, str], base_url: str) -> dict[str, Any]:
    pid = app_pid()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        gate = asyncio.Semaphore(8)
        tokens = await asyncio.gather(*(_sign_up(client, gate) for _ in range(PLAYERS)))
    await asyncio.sleep(2)  # the signups' own events are delivered before the sockets open
    rss_before = _rss_mib(pid)
    started = time.perf_counter()
    sockets = await _connect_all(base_url, tokens)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(2)
    rss_connected = _rss_mib(pid)
    gc.collect()
    gc.disable()  # the load generator's own collector pauses would be counted as the server's latency
    try:
        with CpuMeter({"app": pid}) as cpu:
            await _broadcast(env)
            await asyncio.sleep(2)  # the last broadcast arrives
    finally:
        gc.enable()
    deliveries = _deliveries(sockets)
    closed = sum(1 for socket in sockets if socket.close_code is not None)
    for socket in sockets:
        socket.close()
    return {
        "connections": len(sockets),
        "players": PLAYERS,
        "connect_seconds": round(connect_seconds, 2),
        "rss_mib": {"before": round(rss_before, 1), "connected": round(rss_connected, 1)},
        "rss_kib_per_connection": round((rss_connected - rss_before) * 1024 / max(1, len(sockets)), 1),
        "broadcasts": BROADCASTS,
        "deliveries": len(deliveries.latencies.samples),
        "missing": deliveries.missing,
        "closed": closed,
        "latency": deliveries.latencies.summary(),
        "first_socket": deliveries.first.summary(),
        "last_socket": deliveries.last.summary(),
        "cpu_percent": cpu.usage,
        "client_loop": loop_name(),
    }


def _render(result: dict[str, Any], results_path: Path) -> str:
    latency = result["latency"]
    valid = result["missing"] == 0 and result["closed"] == 0
    verdict = "PASS" if valid and latency["p99_ms"] < TARGET_P99_MS else "FAIL" if valid else "INVALID"
    cpu = ", ".join(f"{name} {value:.0f}%" for name, value in result["cpu_percent"].items())
    return "\n".join(
        [
            f"{result['connections']} WebSocket connections ({result['players']} players x {SOCKETS_PER_PLAYER}) "
            f"on one app process, opened in {result['connect_seconds']} s",
            f"app RSS: {result['rss_mib']['before']} MiB before, {result['rss_mib']['connected']} MiB connected "
            f"(~{result['rss_kib_per_connection']} KiB per connection)",
            f"broadcast publish -> receipt over {result['broadcasts']} broadcasts x {result['connections']} sockets "
            f"({result['deliveries']} deliveries, {result['missing']} missing, {result['closed']} sockets closed): "
            f"p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms "
            f"(target p99 < {TARGET_P99_MS:.0f} ms): {verdict}",
            f"per broadcast: first socket p50 {result['first_socket']['p50_ms']} ms, "
            f"last socket p50 {result['last_socket']['p50_ms']} ms, max {result['last_socket']['max_ms']} ms",
            f"CPU during the broadcasts (% of one core): {cpu}",
            f"results: {results_path}",
        ]
    )


def run(results_path: Path = RESULTS_PATH) -> str:
    _raise_fd_limit(PLAYERS * SOCKETS_PER_PLAYER * 2 + 1024)
    with throwaway_backends(SERVER_ENV) as env, serving(env) as base_url:
        runner = asyncio.Runner(loop_factory=loop_factory())
        with runner:
            result = runner.run(_measure(env, base_url))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return _render(result, results_path)
