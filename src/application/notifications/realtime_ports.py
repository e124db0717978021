"""What realtime delivery needs from the world: named channels that fan out across processes and keep history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

MessageSink = Callable[[bytes], None]
"""Called with each message published on a listened channel, in publish order per channel; must not block."""


class RealtimeChannels(Protocol):
    """Publish/subscribe with a bounded history per channel (every process on the same backend sees every message)."""

    async def publish(self, channel: str, data: bytes) -> None:
        """Returns once the message is stored in the channel's history and on its way to every listener."""
        ...

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """`(channel, data)` pairs published in this order (one round trip where the backend allows)."""
        ...

    async def history(self, channel: str, limit: int) -> list[bytes]:
        """The channel's most recent messages, oldest first, at most `limit`."""
        ...

    def listen(self, channels: Sequence[str], sink: MessageSink) -> AbstractAsyncContextManager[None]:
        """Feed `sink` with the messages of `channels` while the block runs.

        A listener may also be handed messages published shortly before it started (a backend catching up);
        the caller filters by id.
        """
        ...
