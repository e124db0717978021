"""Contract of the JobQueue port: what the in-process runner and arq both do with a job.

A job runs with its payload, after its delay; RetryLater runs it again after the delay it asks for; another
error drops it; a job id already queued or running is not queued twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from src.application.shared.jobs import JobHandler, JobQueue, RetryLater, UnknownJob
from tests.contract.jobs.conftest import OpenQueue
from tests.support.polling import eventually as poll

SETTLE_SECONDS = 0.3  # long enough for a worker polling every 20 ms to have picked up anything due


class Recorder:
    """A job handler that records each run (payload, monotonic time) and can fail or block on demand."""

    def __init__(self, behaviour: Callable[[int], object] | None = None) -> None:
        self.runs: list[tuple[dict[str, Any], float]] = []
        self.release = asyncio.Event()
        self.release.set()
        self._behaviour = behaviour

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.runs.append((payload, time.monotonic()))
        await self.release.wait()
        if self._behaviour is not None:
            outcome = self._behaviour(len(self.runs))
            if isinstance(outcome, BaseException):
                raise outcome

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [payload for payload, _ in self.runs]


async def eventually(condition: Callable[[], bool], within_seconds: float = 5.0) -> None:
    deadline = time.monotonic() + within_seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.01)


class Barrier(Recorder):
    """A job queued after the others and due `seconds` later: once it has run, the queue has started everything
    that was due before it, so what has not run by then was never queued (a positive check, not a guessed wait)."""

    async def passed(self, sut: JobQueue, seconds: float) -> None:
        before = len(self.runs)
        await sut.enqueue("barrier", {}, delay_seconds=seconds)
        await eventually(lambda: len(self.runs) > before)


def handlers(**named: JobHandler) -> dict[str, JobHandler]:
    return named


@pytest.fixture
def barrier() -> Barrier:
    return Barrier()


async def test_a_job_runs_with_its_payload(open_queue: OpenQueue) -> None:
    job = Recorder()
    sut = await open_queue(handlers(greet=job))

    await sut.enqueue("greet", {"transaction_id": "tx-1", "n": 2})

    await eventually(lambda: len(job.runs) == 1)
    assert job.payloads == [{"transaction_id": "tx-1", "n": 2}]


async def test_jobs_run_under_their_own_names(open_queue: OpenQueue) -> None:
    first, second = Recorder(), Recorder()
    sut = await open_queue(handlers(first=first, second=second))

    await sut.enqueue("second", {"n": 2})
    await sut.enqueue("first", {"n": 1})

    await eventually(lambda: len(first.runs) == len(second.runs) == 1)
    assert (first.payloads, second.payloads) == ([{"n": 1}], [{"n": 2}])


async def test_a_delayed_job_waits_for_its_delay(open_queue: OpenQueue, barrier: Barrier) -> None:
    job = Recorder()
    sut = await open_queue(handlers(later=job, barrier=barrier))
    queued_at = time.monotonic()

    await sut.enqueue("later", {}, delay_seconds=0.6)
    await barrier.passed(sut, 0.3)
    early = len(job.runs)

    await eventually(lambda: len(job.runs) == 1)
    assert early == 0
    assert job.runs[0][1] - queued_at >= 0.6


async def test_retry_later_runs_the_job_again_after_its_delay(open_queue: OpenQueue, barrier: Barrier) -> None:
    job = Recorder(lambda run: RetryLater(0.4) if run < 3 else None)
    sut = await open_queue(handlers(flaky=job, barrier=barrier))

    await sut.enqueue("flaky", {"transaction_id": "tx-9"})

    await eventually(lambda: len(job.runs) == 3)
    await barrier.passed(sut, 0.4 + SETTLE_SECONDS)  # after a fourth run, had the third asked for one
    gaps = [later[1] - earlier[1] for earlier, later in zip(job.runs, job.runs[1:], strict=False)]
    assert len(job.runs) == 3
    assert job.payloads == [{"transaction_id": "tx-9"}] * 3
    assert all(gap >= 0.4 for gap in gaps)


async def test_a_job_that_fails_is_dropped_and_others_still_run(open_queue: OpenQueue, barrier: Barrier) -> None:
    broken, fine = Recorder(lambda run: ValueError("boom")), Recorder()
    sut = await open_queue(handlers(broken=broken, fine=fine, barrier=barrier))

    await sut.enqueue("broken", {})
    await sut.enqueue("fine", {})

    await eventually(lambda: len(broken.runs) == 1 and len(fine.runs) == 1)
    await barrier.passed(sut, SETTLE_SECONDS)
    assert len(broken.runs) == 1


async def test_a_queued_job_id_is_not_queued_again(open_queue: OpenQueue, barrier: Barrier) -> None:
    job = Recorder()
    sut = await open_queue(handlers(capture=job, barrier=barrier))

    await sut.enqueue("capture", {"try": 1}, delay_seconds=0.3, job_id="capture:tx-1")
    await sut.enqueue("capture", {"try": 2}, job_id="capture:tx-1")
    await sut.enqueue("capture", {"try": 3}, job_id="capture:tx-2")

    await eventually(lambda: len(job.runs) == 2)
    await barrier.passed(sut, SETTLE_SECONDS)
    assert sorted(payload["try"] for payload in job.payloads) == [1, 3]


async def test_a_running_job_id_is_not_queued_again(open_queue: OpenQueue, barrier: Barrier) -> None:
    job = Recorder()
    job.release.clear()
    sut = await open_queue(handlers(capture=job, barrier=barrier))
    await sut.enqueue("capture", {"try": 1}, job_id="capture:tx-1")
    await eventually(lambda: len(job.runs) == 1)

    await sut.enqueue("capture", {"try": 2}, job_id="capture:tx-1")
    job.release.set()

    await barrier.passed(sut, SETTLE_SECONDS)
    assert job.payloads == [{"try": 1}]


async def test_a_job_id_still_retrying_is_not_queued_again(open_queue: OpenQueue, barrier: Barrier) -> None:
    job = Recorder(lambda run: RetryLater(0.3) if run == 1 else None)
    sut = await open_queue(handlers(capture=job, barrier=barrier))
    await sut.enqueue("capture", {"try": 1}, job_id="capture:tx-1")
    await eventually(lambda: len(job.runs) == 1)

    await sut.enqueue("capture", {"try": 2}, job_id="capture:tx-1")

    await eventually(lambda: len(job.runs) == 2)
    await barrier.passed(sut, SETTLE_SECONDS)
    assert job.payloads == [{"try": 1}, {"try": 1}]


async def test_a_finished_job_id_can_be_queued_again(open_queue: OpenQueue) -> None:
    job = Recorder()
    sut = await open_queue(handlers(capture=job))
    await sut.enqueue("capture", {"try": 1}, job_id="capture:tx-1")
    await eventually(lambda: len(job.runs) == 1)

    async def queued_again() -> bool:
        if len(job.runs) < 2:  # dropped while the runner still holds the first run (it finishes after the handler)
            await sut.enqueue("capture", {"try": 2}, job_id="capture:tx-1")
        return len(job.runs) >= 2

    await poll(queued_again, deadline=5, interval=0.05)
    assert job.payloads == [{"try": 1}, {"try": 2}]


async def test_one_job_id_in_two_deployments_runs_in_each(open_queue: OpenQueue) -> None:
    ours, theirs = Recorder(), Recorder()
    sut = await open_queue(handlers(capture=ours), deployment="a:")
    other = await open_queue(handlers(capture=theirs), deployment="b:")

    await sut.enqueue("capture", {"who": "a"}, delay_seconds=0.2, job_id="capture:tx-1")
    await other.enqueue("capture", {"who": "b"}, delay_seconds=0.2, job_id="capture:tx-1")

    await eventually(lambda: len(ours.runs) == len(theirs.runs) == 1)
    assert (ours.payloads, theirs.payloads) == ([{"who": "a"}], [{"who": "b"}])


async def test_an_unknown_job_name_is_refused(open_queue: OpenQueue) -> None:
    sut = await open_queue(handlers(known=Recorder()))

    with pytest.raises(UnknownJob, match="nonexistent"):
        await sut.enqueue("nonexistent", {})
