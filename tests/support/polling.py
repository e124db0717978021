"""Waiting for something to become true, with a deadline, instead of sleeping a guessed time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], *, deadline: float = 30, interval: float = 0.05) -> T:
    """The first truthy answer of `probe`, asked every `interval` seconds; TimeoutError after `deadline` s."""
    async with asyncio.timeout(deadline):
        while not (answer := await probe()):  # noqa: ASYNC110 - the state lives in another process or loop
            await asyncio.sleep(interval)
    return answer
