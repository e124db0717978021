"""arq worker settings: one queue per concern; the worker builds the same container as the app."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function

from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB
from src.application.shop.purchases import CAPTURE_JOB
from src.entrypoints.bootstrap import open_container, worker_redis
from src.entrypoints.queues import QUEUES, queue_key
from src.entrypoints.settings import Settings, SettingsError
from workers.jobs import job_function
from workers.maintenance import purge_idempotency_records, relay_outbox
from workers.notifications import dispatch_campaigns, purge_notifications, send_email, send_push
from workers.payments import capture_payment, release_expired_holds, void_stale_transactions

__all__ = ["QUEUES", "queue_key", "worker_options"]

# runs of a capture job beyond CAPTURE_MAX_ATTEMPTS: re-runs after a worker died in the middle of one
CRASH_RERUNS = 5
MAINTENANCE_JOB_TIMEOUT_SECONDS = 300.0


def _startup(settings: Settings) -> Any:
    async def startup(ctx: dict[str, Any]) -> None:
        stack = AsyncExitStack()
        container = await stack.enter_async_context(open_container(settings))
        ctx["stack"], ctx["container"] = stack, container
        # the relay loop keeps events flowing even when no app instance runs it
        ctx["relay"] = asyncio.create_task(container.relay.run_forever(settings.outbox_poll_seconds))

    return startup


async def _shutdown(ctx: dict[str, Any]) -> None:
    relay = ctx.get("relay")
    if relay is not None:
        relay.cancel()
        await asyncio.wait([relay], timeout=10)
    stack = ctx.get("stack")
    if stack is not None:
        await stack.aclose()


def _cron(settings: Settings, job: WorkerCoroutine, **schedule: Any) -> CronJob:
    """Cron job ids name the deployment, as other job ids do (their keys are under the namespace anyway)."""
    return cron(job, name=f"cron:{settings.redis_namespace}{job.__qualname__}", **schedule)


def _maintenance(settings: Settings) -> tuple[list[Function | WorkerCoroutine], list[CronJob]]:
    functions: list[Function | WorkerCoroutine] = [purge_idempotency_records, relay_outbox]
    return functions, [
        _cron(settings, purge_idempotency_records, minute=7, second=0, run_at_startup=True),
        _cron(settings, relay_outbox, second=set(range(0, 60, 10))),
    ]


def _payments(settings: Settings) -> tuple[list[Function | WorkerCoroutine], list[CronJob]]:
    capture = job_function(
        CAPTURE_JOB,
        capture_payment,
        max_tries=settings.capture_max_attempts + CRASH_RERUNS,
        timeout_seconds=settings.worker_job_timeout_seconds,
    )
    return [capture], [
        _cron(settings, void_stale_transactions, second=0, run_at_startup=True),
        _cron(settings, release_expired_holds, second={0, 30}, run_at_startup=True),
    ]


def _notifications(settings: Settings) -> tuple[list[Function | WorkerCoroutine], list[CronJob]]:
    tries, timeout = settings.notification_max_attempts, settings.worker_job_timeout_seconds
    functions: list[Function | WorkerCoroutine] = [
        job_function(PUSH_JOB, send_push, max_tries=tries, timeout_seconds=timeout),
        job_function(EMAIL_JOB, send_email, max_tries=tries, timeout_seconds=timeout),
    ]
    return functions, [
        # not unique: every notifications worker dispatches each second; the database claims each player once
        _cron(settings, dispatch_campaigns, second=set(range(60)), run_at_startup=True, unique=False),
        _cron(settings, purge_notifications, minute=17, second=0, run_at_startup=True),
    ]


QUEUE_JOBS = {"payments": _payments, "notifications": _notifications, "maintenance": _maintenance}


def worker_options(settings: Settings, queue: str) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker` serving `queue`."""
    if not settings.redis_url:
        raise SettingsError("the worker needs REDIS_URL (without it, jobs run inside the app process)")
    if not settings.jobs_on_arq:
        raise SettingsError("JOB_QUEUE=in-process runs jobs inside the app; a worker needs JOB_QUEUE=arq or auto")
    if queue not in QUEUES:
        raise SettingsError(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}")
    functions, cron_jobs = QUEUE_JOBS[queue](settings)
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
        "on_startup": _startup(settings),
        "on_shutdown": _shutdown,
        "handle_signals": True,
    }
