"""Running a coroutine from a synchronous fixture of a wider scope than one test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_outside_tests(coroutine: Coroutine[Any, Any, T]) -> T:
    """On a loop of its own, never installed as the current loop, so pytest-asyncio's loops are untouched."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()
