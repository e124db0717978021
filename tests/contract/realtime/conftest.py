"""The RealtimeChannels contract runs on the in-memory backend and on Redis streams (two "processes" each)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis

from src.adapters.realtime.channels import open_channels
from src.adapters.redis.packing import HiredisPackingConnection
from src.application.realtime.ports import RealtimeChannels
from tests.support.env import TEST_REDIS_URL
from tests.support.redis_keys import delete_namespace, new_namespace

HISTORY = 5
OpenChannels = Callable[[], Awaitable[RealtimeChannels]]


@pytest.fixture(params=["memory", "redis"])
async def open_instance(request: pytest.FixtureRequest) -> AsyncIterator[OpenChannels]:
    """`await open_instance()` opens one more instance on the same backend (Redis: its own client)."""
    namespace = new_namespace()
    shared_memory: list[RealtimeChannels] = []
    async with AsyncExitStack() as stack:

        async def open_one() -> RealtimeChannels:
            if request.param == "memory":
                if not shared_memory:  # one process: every "instance" is the same in-memory backend
                    shared_memory.append(
                        await stack.enter_async_context(
                            open_channels(
                                None, namespace=namespace, history=HISTORY, history_ttl_seconds=60, block_ms=50
                            )
                        )
                    )
                return shared_memory[0]
            client = Redis.from_url(TEST_REDIS_URL, connection_class=HiredisPackingConnection)  # as the app's
            stack.push_async_callback(client.aclose)
            return await stack.enter_async_context(
                open_channels(client, namespace=namespace, history=HISTORY, history_ttl_seconds=60, block_ms=50)
            )

        yield open_one
    if request.param == "redis":
        client = Redis.from_url(TEST_REDIS_URL)
        try:
            await delete_namespace(client, namespace)
        finally:
            await client.aclose()
