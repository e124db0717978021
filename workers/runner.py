"""The arq worker process, closing cleanly when its shutdown signal lands between two of a job's Redis calls."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from arq.worker import Worker

logger = structlog.get_logger("casino_club.worker")

# arq keeps a job's in-progress key for the longest job timeout + this; a job whose worker died runs again after it
ARQ_RERUN_MARGIN_SECONDS = 10.0


class GracefulWorker(Worker):
    """arq's `Worker`, whose `close` survives job tasks that the shutdown signal cancelled.

    arq's own `close` gathers its job tasks without `return_exceptions`. A task that SIGTERM cancelled while it was
    claiming or finishing its job in Redis (outside the job function, where arq catches the cancellation) makes that
    gather raise: `on_shutdown` never runs, the container stays open, and the process exits 1. Such a job is still in
    the queue and runs again once its in-progress key expires, so a signalled shutdown is a clean one.

    `rerun_margin_seconds` replaces arq's fixed 10 s margin of that key over the longest job timeout
    (WORKER_RERUN_MARGIN_SECONDS: the tests that kill a worker set 1 s, so its job runs again 10 s sooner).
    """

    def __init__(self, *args: Any, rerun_margin_seconds: float = ARQ_RERUN_MARGIN_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # arq (0.28) has no option for it; an arq without this attribute fails here rather than ignore the setting
        self.in_progress_timeout_s += rerun_margin_seconds - ARQ_RERUN_MARGIN_SECONDS

    async def close(self) -> None:
        for job_id, task in list(self.tasks.items()):
            self.tasks[job_id] = asyncio.create_task(_settled(job_id, task))
        # one step for each wrapper to reach its `try`: a task cancelled before its first step never enters it
        await asyncio.sleep(0)
        await super().close()


async def _settled(job_id: str, task: asyncio.Task[None]) -> None:
    """`task`'s end, logged instead of raised (cancelling this cancels the job too, as arq's close expects)."""
    try:
        await task
    except asyncio.CancelledError:
        logger.info("job interrupted by the shutdown, runs again once its in-progress key expires", job=job_id)
    except Exception:
        logger.exception("job ended with an error while the worker shut down", job=job_id)
