"""Invalidation messages within one process: each listener is called as the keys are published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence


class InMemoryInvalidationChannel:
    def __init__(self) -> None:
        self._listeners: list[Callable[[list[str]], None]] = []

    async def publish(self, keys: Sequence[str]) -> None:
        for listener in list(self._listeners):
            listener(list(keys))

    async def listen(self, on_stale: Callable[[list[str]], None], on_ready: Callable[[bool], None]) -> None:
        self._listeners.append(on_stale)
        on_ready(True)
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            self._listeners.remove(on_stale)
            on_ready(False)
