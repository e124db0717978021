"""arq worker settings: one queue per concern, its functions and crons taken from the job table
(`src.entrypoints.jobs.JOBS`); the worker builds the same container as the app."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from arq.cron import CronJob, cron
from arq.worker import Function

from src.entrypoints.bootstrap import job_failures, open_container, worker_redis
from src.entrypoints.jobs import CRASH_RERUNS, QUEUES, Job, Schedule, jobs_of, queue_key
from src.entrypoints.settings import Settings, SettingsError
from workers.jobs import FailureCounter, arq_cron_job, arq_function, cron_schedule

__all__ = ["CRASH_RERUNS", "QUEUES", "queue_key", "worker_functions", "worker_options"]

MAINTENANCE_JOB_TIMEOUT_SECONDS = 300.0


def _startup(settings: Settings) -> Any:
    async def startup(ctx: dict[str, Any]) -> None:
        stack = AsyncExitStack()
        container = await stack.enter_async_context(open_container(settings))
        ctx["stack"], ctx["container"] = stack, container
        # the relay loop keeps events flowing even when no app instance runs it; so does the exporter (to Kafka)
        loops = [container.relay.run_forever(settings.outbox_poll_seconds)]
        if container.exporter is not None:
            loops.append(container.exporter.run_forever(settings.outbox_poll_seconds))
        ctx["loops"] = [asyncio.create_task(loop) for loop in loops]

    return startup


async def _shutdown(ctx: dict[str, Any]) -> None:
    loops = ctx.get("loops", [])
    for loop in loops:
        loop.cancel()
    if loops:
        await asyncio.wait(loops, timeout=10)
    stack = ctx.get("stack")
    if stack is not None:
        await stack.aclose()


def _cron(settings: Settings, job: Job, schedule: Schedule, failures: FailureCounter) -> CronJob:
    """Cron job ids name the deployment, as other job ids do (their keys are under the namespace anyway)."""
    return cron(
        arq_cron_job(job, failures),
        name=f"cron:{settings.redis_namespace}{job.name}",
        run_at_startup=schedule.run_at_startup,
        unique=schedule.unique,
        **cron_schedule(schedule.every(settings), schedule.minute),
    )


def worker_functions(settings: Settings, queue: str) -> tuple[list[Function], list[CronJob]]:
    """The queue's rows of the job table: queued jobs as arq functions, scheduled ones as crons."""
    timeout = settings.worker_job_timeout_seconds
    jobs = jobs_of(queue)
    failures = job_failures(settings, queue)
    functions = [
        arq_function(job, max_tries=job.tries(settings), timeout_seconds=timeout, failures=failures)
        for job in jobs
        if job.max_tries is not None
    ]
    crons = [_cron(settings, job, schedule, failures) for job in jobs if (schedule := job.schedule) is not None]
    return functions, crons


def worker_options(settings: Settings, queue: str) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker` serving `queue`."""
    if not settings.redis_url:
        raise SettingsError("the worker needs REDIS_URL (without it, jobs run inside the app process)")
    if not settings.jobs_on_arq:
        raise SettingsError("JOB_QUEUE=in-process runs jobs inside the app; a worker needs JOB_QUEUE=arq or auto")
    if queue not in QUEUES:
        raise SettingsError(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}")
    functions, cron_jobs = worker_functions(settings, queue)
    return {
        "functions": functions,
        "cron_jobs": cron_jobs,
        "queue_name": queue_key(settings, queue),
        "redis_pool": worker_redis(settings),
        # arq runs a job again once its in-progress key expires (timeout + 10 s): the timeout bounds how
        # long a job whose worker was killed waits before it is picked up again
        "job_timeout": MAINTENANCE_JOB_TIMEOUT_SECONDS
        if queue == "maintenance"
        else settings.worker_job_timeout_seconds,
        "rerun_margin_seconds": settings.worker_rerun_margin_seconds,
        "on_startup": _startup(settings),
        "on_shutdown": _shutdown,
        "handle_signals": True,
    }
