"""The outbound side of one realtime connection (WebSocket or SSE): a bounded queue of frames in id order.

Messages reach it from the channels (as bytes, through `deliver`) and from resumes; the transport drains it
with `next`. Anything older than the channel's history when the connection started is left to `resume`, so a
backend catching up never replays old events as new ones, and an id is handed out at most once per connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from src.application.realtime.messages import (
    HistoryReader,
    MessageDecoder,
    RealtimeConfig,
    RealtimeMessage,
    control_frame,
)
from src.application.shared.ports import Clock
from src.domain.shared.principal import Principal


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down
    TRY_AGAIN_LATER = 1013  # the client read too slowly: reconnect and resume
    SESSION_REVOKED = 4401  # bad, expired or revoked token; logout on any instance
    ORIGIN_REFUSED = 4403
    IDLE = 4408  # nothing from the client within the idle timeout
    TOO_MANY_CONNECTIONS = 4429


@dataclass(frozen=True, slots=True)
class Outbound:
    """A control frame; events go out as the (shared, immutable) RealtimeMessage itself: same id, type, wire."""

    id: None
    type: str
    wire: str  # JSON: {id: null, type, data, ts}


Frame = Outbound | RealtimeMessage


class Connection:
    def __init__(
        self, principal: Principal, config: RealtimeConfig, decode: MessageDecoder, history: HistoryReader, clock: Clock
    ) -> None:
        self.user_id = principal.user_id
        self.session_id = principal.session_id
        self._config = config
        self._decode = decode
        self._history = history
        self._clock = clock
        self._queue: deque[Frame] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._notify: Callable[[], None] | None = None
        self._heartbeat: asyncio.TimerHandle | None = None
        self._sent_since_beat = False
        self._early: list[bytes] | None = []  # delivered before the watermarks were known
        self._watermarks: dict[str, int] = {}
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._seen_cap = config.queue_size + 2 * config.history_size
        self.last_sent_id = 0
        self.close_code: CloseCode | None = None
        self.close_reason = ""

    def start(self, watermarks: dict[str, int]) -> None:
        """Messages up to these ids (by scope) were in history when the connection began: resume serves them."""
        self._watermarks = dict(watermarks)
        self._arm_heartbeat()
        early, self._early = self._early or [], None
        for raw in early:
            self.deliver(raw)

    def deliver(self, raw: bytes) -> None:
        """Sink for the channels; runs on the fan-out loop, so it never waits."""
        if self.close_code is not None:
            return
        if self._early is not None:
            self._early.append(raw)
            return
        message = self._decode(raw)
        if message is None or message.id <= self._watermarks.get(message.scope, 0) or message.id in self._seen:
            return
        if self._push(message):
            self._remember(message.id)

    def ping(self) -> None:
        self._push(Outbound(None, "pong", control_frame("pong", self._clock.now())))

    def refuse(self, message: str) -> None:
        """Tell the client its frame was not understood (the connection stays open)."""
        data = {"code": "VALIDATION_ERROR", "message": message}
        self._push(Outbound(None, "error", control_frame("error", self._clock.now(), data)))

    async def resume(self, last_id: int) -> None:
        """Replay what came after `last_id`, merged in id order with what is still queued; a gap → `resync` first."""
        replay = await self._history.since(self.user_id, last_id)
        if self.close_code is not None:
            return
        queued = [frame for frame in self._queue if frame.id is not None]
        controls = [frame for frame in self._queue if frame.id is None]
        merged: dict[int, Frame] = {message.id: message for message in replay.messages if message.id not in self._seen}
        merged.update({frame.id: frame for frame in queued if frame.id is not None})
        if not replay.complete:
            data = {"last_event_id": last_id, "reason": "history no longer holds every event after last_event_id"}
            controls.append(Outbound(None, "resync", control_frame("resync", self._clock.now(), data)))
        self._queue = deque([*controls, *(merged[id] for id in sorted(merged))])
        for id in merged:
            self._remember(id)
        self._wake()

    def close(self, code: CloseCode, reason: str = "", final: Outbound | None = None) -> None:
        """Stop: pending frames are dropped; `final` (if any) is still sent before the transport closes."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        self._queue.clear()
        if final is not None:
            self._queue.append(final)
        self.release()
        self._wake()

    def release(self) -> None:
        """The transport is done with this connection: stop its heartbeat timer."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    async def next(self) -> Frame | None:
        """The next frame to send (heartbeats included); None once the connection is closed and drained."""
        while not self._queue:
            if self.close_code is not None:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.pop()

    @property
    def queued(self) -> int:
        """Frames waiting for the transport."""
        return len(self._queue)

    def pop(self) -> Frame | None:
        """The next queued frame without waiting, for a transport told of new frames through `on_frames`."""
        if not self._queue:
            return None
        frame = self._queue.popleft()
        self._sent_since_beat = True
        if frame.id is not None and frame.id > self.last_sent_id:
            self.last_sent_id = frame.id
        return frame

    def on_frames(self, notify: Callable[[], None]) -> None:
        """Call `notify` (at once, on the loop that queued them) whenever frames are queued or the connection
        closes: a transport that can write without waiting sends a broadcast from the fan-out loop itself,
        instead of waking one task per connection."""
        self._notify = notify
        if self._queue or self.close_code is not None:
            notify()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._notify is not None:
            self._notify()

    def _arm_heartbeat(self) -> None:
        """One timer per connection and interval, not one per frame: the fan-out path stays cheap."""
        loop = asyncio.get_running_loop()
        self._heartbeat = loop.call_later(self._config.heartbeat_seconds, self._beat)

    def _beat(self) -> None:
        if self.close_code is not None:
            return
        if not self._sent_since_beat and not self._queue:
            self._push(Outbound(None, "heartbeat", control_frame("heartbeat", self._clock.now())))
        self._sent_since_beat = False
        self._arm_heartbeat()

    def _push(self, frame: Frame) -> bool:
        if len(self._queue) >= self._config.queue_size:
            self._overflow()
            return False
        self._queue.append(frame)
        self._wake()
        return True

    def _overflow(self) -> None:
        data = {"last_event_id": self.last_sent_id, "reason": "too many undelivered events: reconnect and resume"}
        final = Outbound(None, "overflow", control_frame("overflow", self._clock.now(), data))
        self.close(CloseCode.TRY_AGAIN_LATER, "slow consumer", final)

    def _remember(self, id: int) -> None:
        self._seen.add(id)
        self._seen_order.append(id)
        if len(self._seen_order) > self._seen_cap:
            self._seen.discard(self._seen_order.popleft())
