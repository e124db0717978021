"""Realtime messages `{id, type, data, ts}`: one channel per user plus one for everyone, ids assigned once per event.

Ids come from one shared counter (the sequencer), so they grow per user (and across a user's and the broadcast
channel, which lets one `last_event_id` resume both). Each stored message also names the previous id on its
channel: a replay whose first missed message does not link back to the client's last id has a gap (history
trimmed or expired), and the client is told to resync instead of silently missing events.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from src.application.realtime.ports import IdRequest, RealtimeChannels, RealtimeSequencer

BROADCAST_CHANNEL = "broadcast"
UNKNOWN_PREV = -1  # the channel's previous id was not known when the message was stored
USER_SCOPE, EVERYONE_SCOPE = "user", "all"
# how long an event keeps its id for redeliveries: the relay redelivers within seconds; a pass failing for longer
# than this republishes under a new id (a duplicate a client sees once more); the id keys do not pile up for days
EVENT_ID_TTL_SECONDS = 900.0


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
        """The stored form: the wire's object with `prev` and `scope` in front (the data is encoded once, for the
        wire; a relay pass encodes a message per event)."""
        return f'{{"prev":{self.prev},"scope":{json.dumps(self.scope)},{self.wire[1:]}'.encode()

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


@dataclass(frozen=True)
class Publication:
    """One event's message to publish on one channel."""

    event_id: str
    channel: str
    scope: str
    type: str
    data: dict[str, Any]
    at: datetime


class RealtimePublisher:
    """Turns domain events into stored, published messages, a relay pass at a time; events may come again.

    A repeated event gets the id it got the first time (and the same previous-id link), so listeners and
    replays drop the copy by id. A pass costs one call to the sequencer and one publish, however many events it
    holds. Callers are serialised by the outbox relay's lock, which keeps each channel in id order.
    """

    def __init__(self, channels: RealtimeChannels, ids: RealtimeSequencer, config: RealtimeConfig) -> None:
        self._channels = channels
        self._ids = ids
        self._config = config

    async def to_user(
        self, event_id: str, user_id: str, type: str, data: dict[str, Any], at: datetime
    ) -> RealtimeMessage:
        publication = Publication(event_id, user_channel(user_id), USER_SCOPE, type, data, at)
        return (await self.publish_all([publication]))[0]

    async def to_everyone(self, event_id: str, type: str, data: dict[str, Any], at: datetime) -> RealtimeMessage:
        publication = Publication(event_id, BROADCAST_CHANNEL, EVERYONE_SCOPE, type, data, at)
        return (await self.publish_all([publication]))[0]

    async def publish_all(self, publications: Sequence[Publication]) -> list[RealtimeMessage]:
        """In order; ids and links are stored before the publish, so a retry republishes the same messages."""
        requests = [
            IdRequest(
                item.event_id, item.channel, self._config.pointer_ttl(item.channel), _prev_without_pointer(item.channel)
            )
            for item in publications
        ]
        pairs = await self._ids.assign(requests, EVENT_ID_TTL_SECONDS)
        messages = [
            RealtimeMessage.create(id, prev, item.scope, item.type, item.data, rfc3339(item.at))
            for item, (id, prev) in zip(publications, pairs, strict=True)
        ]
        await self._channels.publish_many(
            [(item.channel, message.encode()) for item, message in zip(publications, messages, strict=True)]
        )
        return messages


@dataclass(frozen=True)
class Replay:
    messages: list[RealtimeMessage]  # after the client's last id, oldest first, each id once
    complete: bool  # False: some messages after that id are gone from history


class HistoryReader:
    """Reads what a client missed since `last_id` from a user's channel and the broadcast channel."""

    def __init__(
        self, channels: RealtimeChannels, ids: RealtimeSequencer, config: RealtimeConfig, decode: MessageDecoder
    ) -> None:
        self._channels = channels
        self._ids = ids
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
        pointer = await self._ids.last_id(channel)
        if pointer is None:
            # never a message here (broadcast), or none for longer than the pointers live (a user): resync
            return channel == BROADCAST_CHANNEL
        return pointer <= last_id
