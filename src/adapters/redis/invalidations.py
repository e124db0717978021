"""Invalidation messages on Redis pub/sub: every process that listens hears every stale key at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence

import structlog
from redis import exceptions as redis_errors
from redis.asyncio import Redis

from src.adapters.redis.errors import unavailable_when_unreachable

RETRY_SECONDS = 1.0
logger = structlog.get_logger("casino_club.invalidations")


class RedisInvalidationChannel:
    """One pub/sub channel under the deployment's namespace, so test runs sharing a Redis never hear each other."""

    def __init__(self, client: Redis, name: str, namespace: str = "cc:") -> None:
        self._redis = client
        self._channel = f"{namespace}invalidate:{name}"

    @unavailable_when_unreachable
    async def publish(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.publish(self._channel, json.dumps(list(keys)))

    async def listen(self, on_stale: Callable[[list[str]], None], on_ready: Callable[[bool], None]) -> None:
        while True:
            try:
                await self._listen_once(on_stale, on_ready)
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
                logger.warning("invalidation channel lost; retrying", channel=self._channel, error=str(exc))
            finally:
                on_ready(False)
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen_once(self, on_stale: Callable[[list[str]], None], on_ready: Callable[[bool], None]) -> None:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            async for message in pubsub.listen():
                if message["type"] == "subscribe":
                    on_ready(True)  # from here on, nothing published is missed
                elif message["type"] == "message":
                    on_stale([str(key) for key in json.loads(message["data"])])
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
