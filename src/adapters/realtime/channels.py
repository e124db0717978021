"""Realtime channels on Litestar channels: Redis streams (fan-out across processes, history) or in memory.

The channels plugin runs here without a Litestar app: the composition root enters it like any client, so
app instances and workers publish through the same code. Its subscribers hand each message straight to our
sink (the connection keeps its own bounded queue), so one slow socket never holds up the fan-out loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import structlog
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.application.realtime.ports import MessageSink

logger = structlog.get_logger("casino_club.realtime")
MAX_RETRY_SECONDS = 5.0


class _SinkSubscriber(Subscriber):
    """Forwards messages to a sink instead of queueing them; those that arrive before the sink is set wait."""

    def __init__(self, plugin: ChannelsPlugin, max_backlog: int | None = None, backlog_strategy: Any = "backoff"):
        super().__init__(plugin, max_backlog, backlog_strategy)
        self._sink: MessageSink | None = None
        self._early: list[bytes] = []

    def attach(self, sink: MessageSink) -> None:
        self._sink = sink
        early, self._early = self._early, []
        for item in early:
            self._forward(item)

    def put_nowait(self, item: bytes | None) -> bool:
        if item is None:  # the plugin's stop signal: nothing runs in the background here
            return True
        if self._sink is None:
            self._early.append(item)
        else:
            self._forward(item)
        return True

    async def put(self, item: bytes | None) -> None:
        self.put_nowait(item)

    def _forward(self, item: bytes) -> None:
        assert self._sink is not None
        try:
            self._sink(item)
        except Exception:  # one broken listener must not end the fan-out loop every connection shares
            logger.exception("realtime listener failed on a message")


class KeptHistoryMemoryBackend(MemoryChannelsBackend):
    """The memory backend forgets a channel's history when its last listener leaves; resume needs it kept."""

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        self._channels -= set(channels)

    async def forget(self, channel: str) -> None:
        self._history.pop(channel, None)


class ResilientRedisStreamBackend(RedisChannelsStreamBackend):
    """Redis streams whose reader survives a dropped connection (the plugin's reader task would end for good).

    A stream first read by this process is read from its start; listeners drop what predates them by id.
    """

    def __init__(self, history: int, *, redis: Redis, block_ms: int, stream_ttl: timedelta, key_prefix: str):
        super().__init__(
            history, redis=redis, stream_sleep_no_subscriptions=block_ms, stream_ttl=stream_ttl, key_prefix=key_prefix
        )
        self._block_ms = block_ms

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """A relay pass's messages in one round trip, in order; entries as the plugin's own publish writes them
        (`data`, `channel`), capped and expiring the same way."""
        pipeline = self._redis.pipeline(transaction=False)
        keys = {}
        for channel, data in messages:
            key = keys[channel] = self._make_key(channel)
            pipeline.xadd(key, {"data": data, "channel": channel}, maxlen=self._history_limit, approximate=True)
        for key in keys.values():  # once per stream, after its last entry (a pass has several per player)
            pipeline.pexpire(key, self._stream_ttl)
        await pipeline.execute()

    async def forget(self, channel: str) -> None:
        await self._redis.delete(self._make_key(channel))

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        positions: dict[str, bytes] = {}
        failures = 0
        while True:
            keys = [self._make_key(channel) for channel in await self._get_subscribed_channels()]
            positions = {key: positions.get(key, b"0") for key in keys}  # forget streams nobody listens to
            try:
                batch = await self._redis.xread(dict(positions.items()), block=self._block_ms)
            except RedisError as error:
                failures += 1
                logger.warning("realtime stream read failed; retrying", error=repr(error), failures=failures)
                await asyncio.sleep(min(MAX_RETRY_SECONDS, 0.05 * 2**failures))
                continue
            failures = 0
            for key, entries in batch or []:
                for entry_id, fields in entries:
                    positions[key.decode()] = entry_id
                    yield fields[b"channel"].decode(), fields[b"data"]


class LitestarChannels:
    """The RealtimeChannels port over a started ChannelsPlugin."""

    def __init__(self, plugin: ChannelsPlugin, backend: ChannelsBackend) -> None:
        self._plugin = plugin
        self._backend = backend

    async def publish(self, channel: str, data: bytes) -> None:
        await self._plugin.wait_published(data, [channel])

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        if isinstance(self._backend, ResilientRedisStreamBackend):
            await self._backend.publish_many(messages)
            return
        for channel, data in messages:
            await self._backend.publish(data, [channel])

    async def history(self, channel: str, limit: int) -> list[bytes]:
        return list(await self._backend.get_history(channel, limit))

    async def forget(self, channel: str) -> None:
        if isinstance(self._backend, ResilientRedisStreamBackend | KeptHistoryMemoryBackend):
            await self._backend.forget(channel)

    @asynccontextmanager
    async def listen(self, channels: Sequence[str], sink: MessageSink) -> AsyncIterator[None]:
        names = list(channels)
        subscriber = await self._plugin.subscribe(names)
        assert isinstance(subscriber, _SinkSubscriber)
        subscriber.attach(sink)
        try:
            yield
        finally:
            await self._plugin.unsubscribe(subscriber, names)


@asynccontextmanager
async def open_channels(
    redis: Redis | None, *, namespace: str, history: int, history_ttl_seconds: float, block_ms: int
) -> AsyncIterator[LitestarChannels]:
    """Redis streams under `namespace` when a client is given, else the in-memory backend."""
    backend: ChannelsBackend
    if redis is None:
        backend = KeptHistoryMemoryBackend(history=history)
    else:
        backend = ResilientRedisStreamBackend(
            history,
            redis=redis,
            block_ms=block_ms,
            stream_ttl=timedelta(seconds=history_ttl_seconds),
            key_prefix=f"{namespace}realtime",
        )
    plugin = ChannelsPlugin(backend, arbitrary_channels_allowed=True, subscriber_class=_SinkSubscriber)
    async with plugin:
        yield LitestarChannels(plugin, backend)
