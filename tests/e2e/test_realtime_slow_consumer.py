"""A client that stops reading, on a real `casino-club serve` process: it never holds up the others, and once its
bounded queue overflows it is told where to resume and closed (1013)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from src.adapters.realtime.channels import open_channels
from src.adapters.redis.realtime_ids import RedisRealtimeSequencer
from src.application.realtime.messages import RealtimeConfig, RealtimePublisher
from tests.bench.ws_client import BenchSocket, open_socket
from tests.support.env import TEST_REDIS_URL
from tests.support.polling import eventually as poll
from tests.support.processes import serving
from tests.support.realtime import eventually
from tests.support.redis_keys import delete_namespace, new_namespace

pytestmark = pytest.mark.e2e

PASSWORD = "plum-orbit-canyon-42"
QUEUE_SIZE = 32
WINDOW = QUEUE_SIZE // 2  # the publisher waits for the fast client to read its window: its queue never overflows
# ~16 KB a frame: the stalled socket's kernel and server buffers held ~2.9 MB here (180 frames of 16 KB, 2,625 of
# 1 KB before: 3,000 broadcasts of 1 KB left a margin of an eighth and took 10 s, as many publishes as frames)
BROADCASTS = 400
PADDING = "x" * 16_000


@pytest.fixture(scope="module")
def env(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    namespace = new_namespace()
    yield {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": namespace,
        "VAR_DIR": str(tmp_path_factory.mktemp("slow-consumer")),
        "LOG_LEVEL": "WARNING",
        "REALTIME_QUEUE_SIZE": str(QUEUE_SIZE),
        # the stalled socket sends nothing and answers no ping: on a loaded machine filling its buffers can outlast
        # the idle minute and the protocol ping's 20 + 20 s, and either close (1011 for the ping) would come before
        # the overflow this test is about
        "REALTIME_IDLE_TIMEOUT_SECONDS": "600",
        "REALTIME_PING_SECONDS": "600",
    }
    asyncio.run(_forget(namespace))


async def _forget(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


async def _token(client: httpx.AsyncClient) -> str:
    site_id = f"sc{uuid.uuid4().hex[:14]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


@asynccontextmanager
async def _publisher(env: dict[str, str]) -> AsyncIterator[RealtimePublisher]:
    """Announcements the way the outbox relay publishes them, on the server's Redis namespace."""
    redis = Redis.from_url(env["REDIS_URL"])
    try:
        namespace = env["REDIS_NAMESPACE"]
        async with open_channels(redis, namespace=namespace, history=100, history_ttl_seconds=60, block_ms=50) as ch:
            yield RealtimePublisher(ch, RedisRealtimeSequencer(redis, namespace), RealtimeConfig())
    finally:
        await redis.aclose()


def _frames(socket: BenchSocket) -> list[dict[str, Any]]:
    return [json.loads(payload) for _, payload in socket.received]


def _announcements(socket: BenchSocket) -> int:
    return sum(b'"announcement"' in payload for _, payload in socket.received)


async def _signups_settled(client: httpx.AsyncClient, env: dict[str, str], tokens: list[str]) -> bool:
    """Each signup's starting balance is credited (by a consumer of its event) and the outbox is all published:
    no event of theirs reaches the sockets opened next."""
    for token in tokens:
        wallet = (await client.get("/api/wallet", headers={"authorization": f"Bearer {token}"})).json()
        if not wallet["coins"]:
            return False
    dsn = env["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn)
    try:
        return not await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await connection.close()


async def _scenario(env: dict[str, str], base_url: str) -> tuple[BenchSocket, BenchSocket, int | None]:
    """Returns the sockets and the fast one's close code before the test closed it (None: still open)."""
    address = urlsplit(base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        slow_token, fast_token = await _token(client), await _token(client)
        await poll(lambda: _signups_settled(client, env, [slow_token, fast_token]))
    slow = await open_socket(host, port, f"/api/realtime/ws?token={slow_token}", receive_buffer=4096)
    fast = await open_socket(host, port, f"/api/realtime/ws?token={fast_token}")
    slow.pause_reading()
    async with _publisher(env) as publisher:
        for seq in range(BROADCASTS):
            if seq % WINDOW == 0:
                await eventually(lambda sent=seq: _announcements(fast) >= sent, within_seconds=60)
            await publisher.to_everyone(
                uuid.uuid4().hex, "announcement", {"seq": seq, "pad": PADDING}, datetime.now(UTC)
            )
    await eventually(lambda: _announcements(fast) >= BROADCASTS, within_seconds=60)
    slow.resume_reading()
    await eventually(lambda: slow.close_code is not None, within_seconds=30)
    fast_closed = fast.close_code
    for socket in (slow, fast):
        socket.close()
    return slow, fast, fast_closed


def test_a_stalled_reader_is_told_to_resume_and_the_others_get_everything(env: dict[str, str]) -> None:
    with serving(env) as base_url:
        slow, fast, fast_closed = asyncio.run(_scenario(env, base_url))

    fast_frames = [frame for frame in _frames(fast) if frame["type"] == "announcement"]
    assert [frame["data"]["seq"] for frame in fast_frames] == list(range(BROADCASTS))
    assert fast_closed is None

    slow_frames = _frames(slow)
    events = [frame for frame in slow_frames if frame["id"] is not None]
    overflow = slow_frames[-1]
    ending = [(frame["type"], frame["id"]) for frame in slow_frames[-3:]], slow.close_code, len(slow_frames)
    assert overflow["type"] == "overflow", ending
    assert overflow["data"]["last_event_id"] == events[-1]["id"]
    assert len(events) < BROADCASTS
    assert slow.close_code == 1013
