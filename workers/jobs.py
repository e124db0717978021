"""How application jobs run on arq: RetryLater becomes arq's Retry, and results are not kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from arq import Retry
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from src.application.shared.jobs import RetryLater

T = TypeVar("T")
ArqJob = Callable[[dict[str, Any], dict[str, Any]], Awaitable[object]]


async def retrying(work: Awaitable[T]) -> T:
    """The application asks for a later run with RetryLater; arq queues the job again after that delay."""
    try:
        return await work
    except RetryLater as later:
        raise Retry(defer=later.delay_seconds) from later


def job_function(name: str, job: ArqJob, *, max_tries: int, timeout_seconds: float) -> Function:
    """`job(ctx, payload)` as an arq function. No result is kept (the database is the record), so a finished
    job's id can be queued again, as with the in-process queue."""
    return func(cast(WorkerCoroutine, job), name=name, max_tries=max_tries, timeout=timeout_seconds, keep_result=0)
