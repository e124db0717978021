"""Fixtures for the Cache port contract: every test runs against InMemoryCache and RedisCache.

Redis tests use a fresh namespace per test (`test:<uuid4 hex>:`); every key under it is removed on teardown.
Redis is required: when it cannot be reached the tests fail instead of being skipped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.adapters.memory.cache import InMemoryCache
from src.adapters.redis.cache import RedisCache
from src.adapters.redis.packing import HiredisPackingConnection
from src.application.shared.ports import Cache
from tests.support.clocks import FakeClock

REDIS_URL = os.environ.get("CACHE_CONTRACT_REDIS_URL", "redis://127.0.0.1:6379/0")

MakeRedisCache = Callable[..., Awaitable[RedisCache]]
Elapse = Callable[[float], Awaitable[None]]


async def _connect() -> Redis:
    client = Redis.from_url(
        REDIS_URL, socket_connect_timeout=2, socket_timeout=5, connection_class=HiredisPackingConnection
    )
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        problem = f"Redis is unreachable at {REDIS_URL}: {exc}"
    else:
        return client
    await client.aclose()
    pytest.fail(problem, pytrace=False)  # outside `except`, so the report is this one line, not a chain


async def _delete_namespace(client: Redis, namespace: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{namespace}*", count=500)]
    for start in range(0, len(keys), 500):
        await client.delete(*keys[start : start + 500])


@pytest.fixture
def namespace() -> str:
    return f"test:{uuid.uuid4().hex}:"


@pytest_asyncio.fixture
async def make_redis_cache(namespace: str) -> AsyncIterator[MakeRedisCache]:
    """Build RedisCache instances, each with its own client (like separate app instances).

    `await make_redis_cache()` uses the test namespace; `await make_redis_cache("a:")` a sub-namespace of it,
    so one SCAN over the test namespace cleans up everything the test wrote.
    """
    clients: list[Redis] = []

    async def make(suffix: str = "") -> RedisCache:
        client = await _connect()
        clients.append(client)
        return RedisCache(client, namespace=namespace + suffix)

    yield make

    try:
        if clients:
            await _delete_namespace(clients[0], namespace)
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(params=["memory", "redis"], ids=["memory", "redis"])
async def sut(request: pytest.FixtureRequest, make_redis_cache: MakeRedisCache, clock: FakeClock) -> Cache:
    if request.param == "memory":
        return InMemoryCache(monotonic=clock.monotonic)
    return await make_redis_cache()


@pytest.fixture
def elapse(sut: Cache, clock: FakeClock) -> Elapse:
    """Let `seconds` pass for `sut`: the in-memory cache's clock moves at once; Redis keeps time on its server, so
    its leg of the contract is a test of real time and waits for it."""

    async def elapse(seconds: float) -> None:
        if isinstance(sut, InMemoryCache):
            clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)

    return elapse
