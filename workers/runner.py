"""The arq worker process, closing cleanly when its shutdown signal lands between two of a job's Redis calls."""

from __future__ import annotations

import asyncio

import structlog
from arq.worker import Worker

logger = structlog.get_logger("casino_club.worker")


class GracefulWorker(Worker):
    """arq's `Worker`, whose `close` survives job tasks that the shutdown signal cancelled.

    arq's own `close` gathers its job tasks without `return_exceptions`. A task that SIGTERM cancelled while it was
    claiming or finishing its job in Redis (outside the job function, where arq catches the cancellation) makes that
    gather raise: `on_shutdown` never runs, the container stays open, and the process exits 1. Such a job is still in
    the queue and runs again once its in-progress key expires, so a signalled shutdown is a clean one.
    """

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
