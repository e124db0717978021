"""InvalidationChannel contract: a listener that reported ready hears every key published afterwards, from any
publisher on the channel; run against the in-process channel and Redis pub/sub (two clients, as two processes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from src.adapters.memory.invalidations import InMemoryInvalidationChannel
from src.adapters.redis.invalidations import RedisInvalidationChannel
from src.application.shared.ports import InvalidationChannel
from tests.contract.cache.conftest import REDIS_URL
from tests.support.polling import eventually


@asynccontextmanager
async def _memory() -> AsyncIterator[tuple[InvalidationChannel, InvalidationChannel]]:
    channel = InMemoryInvalidationChannel()
    yield channel, channel


@asynccontextmanager
async def _redis() -> AsyncIterator[tuple[InvalidationChannel, InvalidationChannel]]:
    namespace = f"test:{uuid.uuid4().hex}:"
    publisher, listener = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        yield (
            RedisInvalidationChannel(publisher, "sessions", namespace=namespace),
            RedisInvalidationChannel(listener, "sessions", namespace=namespace),
        )
    finally:
        await publisher.aclose()
        await listener.aclose()


@pytest.fixture(params=["memory", "redis"])
def channels(request: pytest.FixtureRequest) -> Any:
    return _memory if request.param == "memory" else _redis


class _Listener:
    def __init__(self) -> None:
        self.heard: list[list[str]] = []
        self.ready: list[bool] = []


async def test_a_ready_listener_hears_what_is_published(channels: Any) -> None:
    async with channels() as (publisher, sut):
        listener = _Listener()
        task = asyncio.create_task(sut.listen(listener.heard.append, listener.ready.append))
        try:
            await eventually(lambda: _true(listener.ready == [True]), deadline=5)

            await publisher.publish(["s1", "s2"])
            await publisher.publish(["s3"])

            await eventually(lambda: _true(len(listener.heard) == 2), deadline=5)
            assert listener.heard == [["s1", "s2"], ["s3"]]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert listener.ready[-1] is False  # a listener that stopped says it hears no more


async def test_publishing_nothing_or_with_no_listener_is_harmless(channels: Any) -> None:
    async with channels() as (publisher, _):
        await publisher.publish([])
        await publisher.publish(["s1"])


async def _true(value: bool) -> bool:
    return value
