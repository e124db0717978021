"""Realtime message ids in process (embedded default and unit tests); same contract as the Redis sequencer."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from src.application.realtime.ports import IdRequest

PURGE_ABOVE = 10_000  # numbered events kept before the expired ones are dropped


class InMemoryRealtimeSequencer:
    """Expiry is measured on `monotonic` (seconds), which tests replace to move time instead of waiting."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._counter = 0
        self._events: dict[str, tuple[int, int, float]] = {}  # event id → id, prev, expires at
        self._pointers: dict[str, tuple[int, float | None]] = {}  # channel → last id, expires at

    async def assign(self, requests: Sequence[IdRequest], event_ttl_seconds: float) -> list[tuple[int, int]]:
        now = self._monotonic()
        if len(self._events) > PURGE_ABOVE:
            self._events = {key: value for key, value in self._events.items() if value[2] > now}
        running: dict[str, int] = {}
        ttls: dict[str, float | None] = {}
        pairs = []
        for request in requests:
            if request.channel not in running:
                last = self._pointer(request.channel, now)
                running[request.channel] = request.prev_if_unknown if last is None else last
                ttls[request.channel] = request.pointer_ttl_seconds
            stored = self._events.get(request.event_id)
            if stored is not None and stored[2] > now:
                id, prev = stored[0], stored[1]
            else:
                self._counter += 1
                id, prev = self._counter, running[request.channel]
                self._events[request.event_id] = (id, prev, now + event_ttl_seconds)
            running[request.channel] = max(running[request.channel], id)
            pairs.append((id, prev))
        for channel, last in running.items():
            ttl = ttls[channel]
            if ttl is not None or last >= 0:
                self._pointers[channel] = (last, None if ttl is None else now + ttl)
        return pairs

    async def last_id(self, channel: str) -> int | None:
        return self._pointer(channel, self._monotonic())

    def _pointer(self, channel: str, now: float) -> int | None:
        entry = self._pointers.get(channel)
        if entry is None or (entry[1] is not None and entry[1] <= now):
            return None
        return entry[0]
