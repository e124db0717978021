"""Background jobs: a queue port, and how a job asks to run again later.

Jobs are named functions taking one JSON-ready payload. In production they run on arq workers (one queue per
concern); the embedded default runs the same functions in process with the same retry behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from src.application.shared.errors import DependencyUnavailable

JobHandler = Callable[[dict[str, Any]], Awaitable[object]]


class RetryLater(Exception):
    """Raised by a job that wants to run again after `delay_seconds` (its own backoff decides the delay)."""

    def __init__(self, delay_seconds: float) -> None:
        super().__init__(f"retry in {delay_seconds:.3f} s")
        self.delay_seconds = delay_seconds


class UnknownJob(LookupError):
    """A job name no handler (in process) or queue route (arq) is known for: a wiring mistake."""


class JobQueueUnavailable(DependencyUnavailable):
    """The queue could not take the job (its store is down); nothing was queued."""


class JobQueue(Protocol):
    async def enqueue(
        self, job: str, payload: dict[str, Any], *, delay_seconds: float = 0.0, job_id: str | None = None
    ) -> None:
        """Run `job` with `payload` at least once, after `delay_seconds`. A `job_id` already queued or running
        is not queued again (dedupe). Raises UnknownJob for a name the queue cannot route, and JobQueueUnavailable
        when its store cannot be reached."""
        ...
