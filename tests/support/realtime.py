"""Helpers for realtime tests: waiting for something asynchronous to have happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest


async def eventually(condition: Callable[[], object], within_seconds: float = 3.0) -> None:
    deadline = time.monotonic() + within_seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.01)
