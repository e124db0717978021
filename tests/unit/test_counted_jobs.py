"""A queued job's failures are counted for the queue's gauge: a run its timeout ended is one, a run a worker's
shutdown cancelled is not (arq runs that job again)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from workers.jobs import counted


class _Failures:
    def __init__(self) -> None:
        self.recorded = 0

    async def record(self, redis: Any) -> None:
        self.recorded += 1


async def _forever() -> None:
    await asyncio.Event().wait()


async def test_a_run_its_timeout_ends_is_a_counted_failure() -> None:
    failures = _Failures()

    with pytest.raises(TimeoutError):
        await counted(_forever(), {"redis": None, "job_try": 1}, failures, max_tries=3, timeout_seconds=0.05)

    assert failures.recorded == 1


async def test_a_run_a_shutdown_cancels_is_not_a_failure() -> None:
    failures, started = _Failures(), asyncio.Event()

    async def waiting() -> None:
        started.set()
        await _forever()

    run = asyncio.create_task(
        counted(waiting(), {"redis": None, "job_try": 1}, failures, max_tries=3, timeout_seconds=30)
    )
    await started.wait()

    run.cancel()

    with pytest.raises(asyncio.CancelledError):
        await run
    assert failures.recorded == 0


async def test_a_run_that_raises_is_a_counted_failure() -> None:
    async def broken() -> None:
        raise ValueError("boom")

    failures = _Failures()

    with pytest.raises(ValueError, match="boom"):
        await counted(broken(), {"redis": None, "job_try": 1}, failures, max_tries=3, timeout_seconds=30)

    assert failures.recorded == 1
