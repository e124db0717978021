"""The Redis stream reader keeps going after Redis drops the connection, from where it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from src.adapters.realtime.channels import ResilientRedisStreamBackend


class FlakyRedis:
    """xread fails once, then serves one entry per call; remembers the positions it was asked for."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._entries = [
            (b"1-0", {b"channel": b"user:a", b"data": b"one"}),
            (b"2-0", {b"channel": b"user:a", b"data": b"two"}),
        ]

    def register_script(self, _: str) -> object:
        return object()

    async def xread(self, streams: dict[str, Any], block: int) -> list[Any]:
        self.calls.append(dict(streams))
        if len(self.calls) == 1:
            raise RedisConnectionError("connection reset")
        entry = self._entries.pop(0)
        return [(b"ns:realtime_USER:A", [entry])]


async def test_a_dropped_connection_is_retried_and_reading_goes_on_from_the_last_entry() -> None:
    redis = FlakyRedis()
    sut = ResilientRedisStreamBackend(
        10,
        redis=redis,
        block_ms=5,
        stream_ttl=timedelta(seconds=60),
        key_prefix="ns:realtime",  # type: ignore[arg-type]
    )
    await sut.subscribe(["user:a"])
    stream = sut.stream_events()

    first = await anext(stream)
    second = await anext(stream)
    await stream.aclose()

    assert [first, second] == [("user:a", b"one"), ("user:a", b"two")]
    assert [call["ns:realtime_USER:A"] for call in redis.calls] == [b"0", b"0", b"1-0"]
