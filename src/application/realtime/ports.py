"""What realtime delivery needs from the world: named channels that fan out across processes and keep history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
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

    async def forget(self, channel: str) -> None:
        """Drop the channel's history (an erased player's stream holds their messages)."""
        ...

    def listen(self, channels: Sequence[str], sink: MessageSink) -> AbstractAsyncContextManager[None]:
        """Feed `sink` with the messages of `channels` while the block runs.

        A listener may also be handed messages published shortly before it started (a backend catching up);
        the caller filters by id.
        """
        ...


@dataclass(frozen=True)
class IdRequest:
    """One event to number on one channel."""

    event_id: str
    channel: str
    pointer_ttl_seconds: float | None  # how long the channel's last-id pointer lives; None: for ever
    prev_if_unknown: int  # the link a message gets when its channel has no pointer


class RealtimeSequencer(Protocol):
    """Message ids shared by every process: one counter, the last id of each channel, the id each event got."""

    async def assign(self, requests: Sequence[IdRequest], event_ttl_seconds: float) -> list[tuple[int, int]]:
        """`(id, prev)` for each request, in order, atomically.

        An event numbered before (within `event_ttl_seconds`) gets its first pair again. A new one takes the
        next id and links to the newest id on its channel (or `prev_if_unknown`); each channel's pointer ends
        at the highest id the call saw there.
        """
        ...

    async def last_id(self, channel: str) -> int | None:
        """The channel's pointer; None when it has none (never numbered, or expired)."""
        ...
