"""In-process job runner for the embedded default: the same job functions and retry policy as the arq workers.

Jobs run as asyncio tasks of this process, so they are lost when it stops; the sweeps (stale pending, expired
holds) are the backstop, as they are for a job arq gives up on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog

from src.application.shared.jobs import JobHandler, RetryLater, UnknownJob
from src.application.shared.ports import GaugeSample

logger = structlog.get_logger("casino_club.jobs")

DEFAULT_MAX_PENDING = 10_000
DEFAULT_MAX_TRIES = 25
IN_PROCESS = "in-process"  # the depth gauge's label: one pool of tasks runs every queue's jobs


class JobQueueFull(RuntimeError):
    """The runner already holds its maximum of queued and running jobs."""


class InProcessJobQueue:
    """Implements JobQueue. `max_pending` bounds queued plus running jobs; `max_tries` bounds one job's runs
    (its RetryLater requests included), as arq's max_tries does."""

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING, max_tries: int = DEFAULT_MAX_TRIES) -> None:
        self._handlers: dict[str, tuple[JobHandler, int, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids: set[str] = set()
        self._max_pending = max_pending
        self._max_tries = max_tries
        self._closed = False
        # jobs dropped after an error or given up after their maximum tries, by the queue a worker would run them on
        self.failures: dict[str, int] = {}

    def register(
        self, name: str, handler: JobHandler, *, max_tries: int | None = None, queue: str = IN_PROCESS
    ) -> None:
        """`queue`: the arq queue the job belongs to, which labels its failures as the workers' do."""
        self._handlers[name] = (handler, max_tries or self._max_tries, queue)

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return len(self._tasks)

    async def enqueue(
        self, job: str, payload: dict[str, Any], *, delay_seconds: float = 0.0, job_id: str | None = None
    ) -> None:
        if job not in self._handlers:
            raise UnknownJob(f"no handler registered for job {job!r}")
        if self._closed:
            raise RuntimeError("the job queue is closed")
        if job_id is not None and job_id in self._ids:
            return
        if len(self._tasks) >= self._max_pending:
            raise JobQueueFull(f"{len(self._tasks)} jobs pending; {job!r} refused")
        if job_id is not None:
            self._ids.add(job_id)
        task = asyncio.create_task(self._run(job, dict(payload), delay_seconds), name=f"job:{job}")
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(done, job_id))

    async def close(self) -> None:
        """Cancel queued and running jobs and wait for them to stop; later enqueues are refused."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    def _forget(self, task: asyncio.Task[None], job_id: str | None) -> None:
        self._tasks.discard(task)
        if job_id is not None:
            self._ids.discard(job_id)

    async def _run(self, job: str, payload: dict[str, Any], delay_seconds: float) -> None:
        handler, max_tries, queue = self._handlers[job]
        for attempt in range(1, max_tries + 1):
            await asyncio.sleep(max(0.0, delay_seconds))
            try:
                await handler(payload)
            except RetryLater as later:
                delay_seconds = later.delay_seconds
                continue
            except Exception:
                # as arq does: a job that fails (rather than asking to retry) is logged and dropped
                logger.exception("job failed; dropped", job=job, attempt=attempt)
                self._failed(queue)
            return
        logger.error("job gave up after its maximum tries", job=job, max_tries=max_tries)
        self._failed(queue)

    def _failed(self, queue: str) -> None:
        self.failures[queue] = self.failures.get(queue, 0) + 1


class InProcessQueueGauges:
    """Implements GaugeSource: jobs queued or running in this process, and those it gave up on."""

    def __init__(self, queue: InProcessJobQueue) -> None:
        self._queue = queue

    async def sample(self) -> Sequence[GaugeSample]:
        return [
            GaugeSample("job_queue_depth", {"queue": IN_PROCESS}, float(self._queue.pending)),
            *(GaugeSample("job_failures", {"queue": queue}, float(n)) for queue, n in self._queue.failures.items()),
        ]
