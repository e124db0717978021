"""The in-process job runner's own limits: bounded, closable, and it gives up like arq does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from src.adapters.memory.jobs import InProcessJobQueue, InProcessQueueGauges, JobQueueFull
from src.application.shared.jobs import RetryLater
from tests.support.polling import eventually

started: list[dict[str, Any]] = []


async def never_done(payload: dict[str, Any]) -> None:
    started.append(payload)
    await asyncio.Event().wait()


async def test_the_queue_refuses_jobs_beyond_its_bound() -> None:
    sut = InProcessJobQueue(max_pending=3)
    sut.register("slow", never_done)
    for n in range(3):
        await sut.enqueue("slow", {"n": n})

    with pytest.raises(JobQueueFull):
        await sut.enqueue("slow", {"n": 3})

    assert sut.pending == 3
    await sut.close()


async def test_close_cancels_queued_and_running_jobs_and_refuses_new_ones() -> None:
    sut = InProcessJobQueue()
    sut.register("slow", never_done)
    await sut.enqueue("slow", {"running": True})
    await sut.enqueue("slow", {}, delay_seconds=60)
    await eventually(_running({"running": True}), deadline=5)

    await sut.close()

    assert sut.pending == 0
    with pytest.raises(RuntimeError, match="closed"):
        await sut.enqueue("slow", {})


async def test_a_job_that_keeps_asking_to_retry_stops_at_max_tries() -> None:
    runs: list[int] = []

    async def always_later(payload: dict[str, Any]) -> None:
        runs.append(1)
        raise RetryLater(0.0)

    sut = InProcessJobQueue()
    sut.register("stuck", always_later, max_tries=4)

    await sut.enqueue("stuck", {}, job_id="stuck:1")
    await eventually(_drained(sut), deadline=5)  # nothing pending: no run can follow

    assert len(runs) == 4
    assert sut.pending == 0


async def test_jobs_dropped_after_an_error_or_given_up_are_counted_as_failures() -> None:
    async def broken(payload: dict[str, Any]) -> None:
        raise ValueError("boom")

    async def always_later(payload: dict[str, Any]) -> None:
        raise RetryLater(0.0)

    async def fine(payload: dict[str, Any]) -> None:
        return None

    sut = InProcessJobQueue()
    sut.register("broken", broken, queue="payments")
    sut.register("stuck", always_later, max_tries=2, queue="payments")
    sut.register("push", broken, queue="notifications")
    sut.register("fine", fine, queue="notifications")
    for job in ("broken", "stuck", "push", "fine", "fine"):
        await sut.enqueue(job, {})
    await eventually(_drained(sut), deadline=5)

    samples = {(s.name, s.labels["queue"]): s.value for s in await InProcessQueueGauges(sut).sample()}
    assert samples == {
        ("job_queue_depth", "in-process"): 0.0,  # one pool of tasks runs every queue's jobs
        ("job_failures", "payments"): 2.0,  # labelled by the queue a worker would run them on
        ("job_failures", "notifications"): 1.0,
    }


async def test_finished_jobs_leave_nothing_behind() -> None:
    async def quick(payload: dict[str, Any]) -> None:
        return None

    sut = InProcessJobQueue(max_pending=2)
    sut.register("quick", quick)
    for n in range(10):
        await sut.enqueue("quick", {"n": n}, job_id=f"quick:{n}")
        await eventually(_drained(sut), deadline=5)


def _drained(sut: InProcessJobQueue) -> Callable[[], Awaitable[bool]]:
    async def drained() -> bool:
        return sut.pending == 0

    return drained


def _running(payload: dict[str, Any]) -> Callable[[], Awaitable[bool]]:
    async def running() -> bool:
        return payload in started

    return running
