"""Realtime messages `{id, type, data, ts}`: one channel per user plus one for everyone, ids assigned once per event.

Ids come from one counter in the shared cache, so they grow per user (and across a user's and the broadcast
channel, which lets one `last_event_id` resume both). Each stored message also names the previous id on its
channel: a replay whose first missed message does not link back to the client's last id has a gap (history
trimmed or expired), and the client is told to resync instead of silently missing events.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from src.application.notifications.realtime_ports import RealtimeChannels
from src.application.shared.ports import Cache

BROADCAST_CHANNEL = "broadcast"
UNKNOWN_PREV = -1  # the channel's previous id was not known when the message was stored
USER_SCOPE, EVERYONE_SCOPE = "user", "all"
_SEQUENCE_KEY = "realtime:seq"


def user_channel(user_id: str) -> str:
    return f"user:{user_id}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RealtimeConfig:
    history_size: int = 100  # messages kept per channel for resume
    history_ttl_seconds: float = 86_400.0  # a channel's history goes this long after its last message
    queue_size: int = 256  # frames waiting for one slow connection before it is told to resume
    max_connections_per_user: int = 5  # per user on each app instance
    heartbeat_seconds: float = 25.0
    idle_timeout_seconds: float = 60.0  # a WebSocket that sends nothing (not even a ping) this long is dropped
    session_check_seconds: float = 1.0  # how soon a revoked session's sockets are closed

    @property
    def pointer_ttl_seconds(self) -> float:
        """The last-id pointers outlive the histories, so an expired history is told apart from an empty one."""
        return self.history_ttl_seconds * 4

    def pointer_ttl(self, channel: str) -> float | None:
        """The broadcast pointer never expires (one key): a channel that never had a message needs no resync."""
        return None if channel == BROADCAST_CHANNEL else self.pointer_ttl_seconds


@dataclass(frozen=True, slots=True)
class RealtimeMessage:
    id: int
    prev: int  # the id before this one on the same channel, or UNKNOWN_PREV
    scope: str  # USER_SCOPE or EVERYONE_SCOPE
    type: str
    data: dict[str, Any]
    ts: str
    wire: str  # the JSON text clients get: {id, type, data, ts}

    @classmethod
    def create(cls, id: int, prev: int, scope: str, type: str, data: dict[str, Any], ts: str) -> RealtimeMessage:
        wire = json.dumps({"id": id, "type": type, "data": data, "ts": ts}, separators=(",", ":"), default=str)
        return cls(id, prev, scope, type, data, ts, wire)

    def encode(self) -> bytes:
        stored = {"id": self.id, "prev": self.prev, "scope": self.scope, "type": self.type, "data": self.data}
        return json.dumps({**stored, "ts": self.ts}, separators=(",", ":"), default=str).encode()

    @classmethod
    def decode(cls, raw: bytes) -> RealtimeMessage | None:
        """None for anything that is not a stored message (another writer on the channel, a corrupt entry)."""
        try:
            value = json.loads(raw)
            return cls.create(
                int(value["id"]),
                int(value["prev"]),
                str(value["scope"]),
                str(value["type"]),
                value["data"],
                value["ts"],
            )
        except (ValueError, KeyError, TypeError):
            return None


class MessageDecoder:
    """Decodes each stored message once per process: every listener of a channel is handed the same bytes."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._decoded: OrderedDict[bytes, RealtimeMessage | None] = OrderedDict()

    def __call__(self, raw: bytes) -> RealtimeMessage | None:
        if raw in self._decoded:
            return self._decoded[raw]
        message = RealtimeMessage.decode(raw)
        self._decoded[raw] = message
        if len(self._decoded) > self._capacity:
            self._decoded.popitem(last=False)
        return message


def control_frame(type: str, now: datetime, data: dict[str, Any] | None = None) -> str:
    """Frames that are not events (pong, heartbeat, resync, overflow) carry no id: they are never replayed."""
    return json.dumps({"id": None, "type": type, "data": data or {}, "ts": rfc3339(now)}, separators=(",", ":"))


def _prev_without_pointer(channel: str) -> int:
    """The broadcast pointer never expires, so none there means no message ever; a user's may have expired."""
    return 0 if channel == BROADCAST_CHANNEL else UNKNOWN_PREV


def _last_key(channel: str) -> str:
    return f"realtime:last:{channel}"


class RealtimePublisher:
    """Turns one domain event into one stored, published message; at-least-once callers may repeat an event.

    A repeated event gets the id it got the first time (and the same previous-id link), so listeners and
    replays drop the copy by id. Callers are serialised by the outbox relay's lock, which keeps each channel's
    messages in id order.
    """

    def __init__(self, channels: RealtimeChannels, cache: Cache, config: RealtimeConfig) -> None:
        self._channels = channels
        self._cache = cache
        self._config = config

    async def to_user(
        self, event_id: str, user_id: str, type: str, data: dict[str, Any], at: datetime
    ) -> RealtimeMessage:
        return await self._publish(event_id, user_channel(user_id), USER_SCOPE, type, data, at)

    async def to_everyone(self, event_id: str, type: str, data: dict[str, Any], at: datetime) -> RealtimeMessage:
        return await self._publish(event_id, BROADCAST_CHANNEL, EVERYONE_SCOPE, type, data, at)

    async def _publish(
        self, event_id: str, channel: str, scope: str, type: str, data: dict[str, Any], at: datetime
    ) -> RealtimeMessage:
        id, prev = await self._assign(event_id, channel)
        message = RealtimeMessage.create(id, prev, scope, type, data, rfc3339(at))
        await self._channels.publish(channel, message.encode())
        return message

    async def _assign(self, event_id: str, channel: str) -> tuple[int, int]:
        key = f"realtime:event:{event_id}"
        assigned = await self._cache.get(key)
        if assigned is None:
            id = await self._cache.incr(_SEQUENCE_KEY)
            last = await self._cache.get(_last_key(channel))
            prev = int(last) if last is not None else _prev_without_pointer(channel)
            if await self._cache.set_if_absent(key, f"{id}:{prev}", self._config.pointer_ttl_seconds):
                await self._cache.set(_last_key(channel), str(id), self._config.pointer_ttl(channel))
                return id, prev
            assigned = await self._cache.get(key)  # another pass assigned it first: use that one
            if assigned is None:
                raise RuntimeError(f"realtime id of event {event_id} vanished")
        id_text, _, prev_text = assigned.partition(":")
        return int(id_text), int(prev_text)


@dataclass(frozen=True)
class Replay:
    messages: list[RealtimeMessage]  # after the client's last id, oldest first, each id once
    complete: bool  # False: some messages after that id are gone from history


class HistoryReader:
    """Reads what a client missed since `last_id` from a user's channel and the broadcast channel."""

    def __init__(self, channels: RealtimeChannels, cache: Cache, config: RealtimeConfig, decode: MessageDecoder):
        self._channels = channels
        self._cache = cache
        self._config = config
        self._decode = decode

    async def latest_ids(self, user_id: str) -> dict[str, int]:
        """By scope: the newest id in each channel's history now (0 when empty)."""
        latest = {}
        for scope, channel in ((USER_SCOPE, user_channel(user_id)), (EVERYONE_SCOPE, BROADCAST_CHANNEL)):
            stored = await self._stored(channel, 1)
            latest[scope] = stored[-1].id if stored else 0
        return latest

    async def since(self, user_id: str, last_id: int) -> Replay:
        messages: list[RealtimeMessage] = []
        complete = True
        for channel in (user_channel(user_id), BROADCAST_CHANNEL):
            stored = await self._stored(channel, self._config.history_size)
            missed = [message for message in stored if message.id > last_id]
            complete = complete and await self._links_back(channel, stored, missed, last_id)
            messages += missed
        return Replay(sorted(messages, key=lambda message: message.id), complete)

    async def _stored(self, channel: str, limit: int) -> list[RealtimeMessage]:
        distinct = {}
        for raw in await self._channels.history(channel, limit):
            message = self._decode(raw)
            if message is not None:
                distinct[message.id] = message  # a repeated event was stored twice under one id
        return sorted(distinct.values(), key=lambda message: message.id)

    async def _links_back(
        self, channel: str, stored: list[RealtimeMessage], missed: list[RealtimeMessage], last_id: int
    ) -> bool:
        if missed:
            first = missed[0]
            return first.prev != UNKNOWN_PREV and first.prev <= last_id
        if stored:
            return True  # the newest stored message is one the client has: nothing newer exists
        pointer = await self._cache.get(_last_key(channel))
        if pointer is None:
            # never a message here (broadcast), or none for longer than the pointers live (a user): resync
            return channel == BROADCAST_CHANNEL
        return int(pointer) <= last_id
