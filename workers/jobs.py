"""Rows of the job table as arq functions and crons: RetryLater becomes arq's Retry, and results are not kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from arq import Retry
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from src.application.shared.jobs import RetryLater
from src.entrypoints.container import Container
from src.entrypoints.jobs import Job

T = TypeVar("T")


class FailureCounter(Protocol):
    """Counts a job given up on, with the worker's Redis client (see bootstrap's `job_failures`)."""

    async def record(self, redis: Any) -> None: ...


SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400
DAILY_HOUR = 3  # daily crons run at 03:MM UTC
# arq's timeout on a job, after the job's own (`counted`): it only cuts a run that ignores its cancellation
ARQ_TIMEOUT_GRACE_SECONDS = 1.0


async def retrying(work: Awaitable[T]) -> T:
    """The application asks for a later run with RetryLater; arq queues the job again after that delay."""
    try:
        return await work
    except RetryLater as later:
        raise Retry(defer=later.delay_seconds) from later


async def counted(
    work: Awaitable[T],
    ctx: dict[str, Any],
    failures: FailureCounter | None,
    max_tries: int,
    timeout_seconds: float | None = None,
) -> T:
    """As `retrying`, counting a job arq gives up on: an error, a retry asked for on its last try (arq then drops
    it unrun), or a run its timeout cut short (arq does not run those again). The timeout is enforced here, so it
    reaches arq as an error and is told apart for certain from a worker shutting down, whose cancellation is not
    a failure: arq runs that job again. arq's own timeout, a grace later, is the backstop. A crash is arq's to log."""
    try:
        if timeout_seconds is None:
            return await retrying(work)
        return await asyncio.wait_for(retrying(work), timeout_seconds)
    except Retry:
        if failures is not None and int(ctx.get("job_try") or 1) >= max_tries:
            await failures.record(ctx["redis"])
        raise
    except Exception:
        if failures is not None:
            await failures.record(ctx["redis"])
        raise


def _container(ctx: dict[str, Any]) -> Container:
    container: Container = ctx["container"]
    return container


ArqJob = Callable[[dict[str, Any], dict[str, Any]], Awaitable[object]]


def job_function(name: str, job: ArqJob, *, max_tries: int, timeout_seconds: float) -> Function:
    """`job(ctx, payload)` as an arq function. No result is kept (the database is the record), so a finished
    job's id can be queued again, as with the in-process queue."""
    return func(cast(WorkerCoroutine, job), name=name, max_tries=max_tries, timeout=timeout_seconds, keep_result=0)


def arq_function(
    job: Job, *, max_tries: int, timeout_seconds: float, failures: FailureCounter | None = None
) -> Function:
    """A queued row of the job table, run with the worker's container; RetryLater becomes arq's Retry; a job
    given up on is counted in `failures`."""

    async def run(ctx: dict[str, Any], payload: dict[str, Any]) -> object:
        return await counted(job.run(_container(ctx), payload), ctx, failures, max_tries, timeout_seconds)

    return job_function(job.name, run, max_tries=max_tries, timeout_seconds=timeout_seconds + ARQ_TIMEOUT_GRACE_SECONDS)


def arq_cron_job(job: Job, failures: FailureCounter | None = None) -> WorkerCoroutine:
    async def run(ctx: dict[str, Any]) -> object:
        return await counted(job.run(_container(ctx), {}), ctx, failures, 1)

    run.__qualname__ = job.name
    return cast(WorkerCoroutine, run)


def cron_schedule(every_seconds: float, minute: int) -> dict[str, Any]:
    """arq's cron fields for an interval: whole seconds below a minute (at least one), whole minutes below an
    hour, hourly at `minute` past below a day, else daily at DAILY_HOUR:`minute` UTC (the quiet hours)."""
    if every_seconds < SECONDS_PER_MINUTE:
        step = max(1, round(every_seconds))
        return {"second": set(range(0, SECONDS_PER_MINUTE, step))}
    if every_seconds < SECONDS_PER_HOUR:
        step = max(1, round(every_seconds / SECONDS_PER_MINUTE))
        return {"minute": set(range(minute % step, 60, step)), "second": 0}
    if every_seconds < SECONDS_PER_DAY:
        return {"minute": minute, "second": 0}
    return {"hour": DAILY_HOUR, "minute": minute, "second": 0}
