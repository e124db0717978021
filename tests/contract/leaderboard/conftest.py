"""Fixtures for the Leaderboard port contract: every test runs against InMemoryLeaderboard and RedisLeaderboard.

Redis tests use a fresh namespace per test; every key under it is removed (SCAN + DEL) on teardown.
Redis is required: when it cannot be reached the tests fail instead of being skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.redis.leaderboard import RedisLeaderboard
from src.adapters.redis.packing import HiredisPackingConnection
from src.application.games.leaderboard import Leaderboard
from tests.support.env import TEST_REDIS_URL
from tests.support.redis_keys import delete_namespace, new_namespace

MakeRedisLeaderboard = Callable[[], Awaitable[RedisLeaderboard]]


async def _connect() -> Redis:
    client: Redis = Redis.from_url(
        TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=5, connection_class=HiredisPackingConnection
    )
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        problem = f"Redis is unreachable at {TEST_REDIS_URL}: {exc}"
    else:
        return client
    await client.aclose()
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@pytest_asyncio.fixture
async def redis_client(namespace: str) -> AsyncIterator[Redis]:
    """A raw client for Redis-only checks (TTLs, key layout); it deletes the test namespace on teardown."""
    client = await _connect()
    try:
        yield client
    finally:
        try:
            await delete_namespace(client, namespace)
        finally:
            await client.aclose()


@pytest_asyncio.fixture
async def make_redis_leaderboard(namespace: str) -> AsyncIterator[MakeRedisLeaderboard]:
    """Each instance gets its own client (like separate app instances), all on the test namespace.

    Clients connect on first use, so memory-only runs do not need Redis.
    """
    clients: list[Redis] = []

    async def make() -> RedisLeaderboard:
        client = await _connect()
        clients.append(client)
        return RedisLeaderboard(client, namespace=namespace)

    yield make

    try:
        if clients:
            await delete_namespace(clients[0], namespace)
    finally:
        for client in clients:
            await client.aclose()


@pytest_asyncio.fixture(params=["memory", "redis"], ids=["memory", "redis"])
async def sut(request: pytest.FixtureRequest, make_redis_leaderboard: MakeRedisLeaderboard) -> Leaderboard:
    if request.param == "memory":
        return InMemoryLeaderboard()
    return await make_redis_leaderboard()
