"""A job an arq worker gives up on is counted per queue in Redis, and the app's queue gauges read the count (a
worker serves no /metrics of its own)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq.worker import Worker
from redis.asyncio import ConnectionPool, Redis

from src.adapters.arq.jobs import ArqJobFailures, ArqJobQueue, ArqQueueGauges
from src.adapters.arq.namespaced import NamespacedArqRedis
from src.application.shared.jobs import RetryLater
from src.entrypoints.jobs import Job
from tests.support.env import TEST_REDIS_URL
from tests.support.polling import eventually
from workers.jobs import arq_function


async def _broken(_container: Any, payload: dict[str, Any]) -> None:
    raise ValueError("boom")


async def _stuck(_container: Any, payload: dict[str, Any]) -> None:
    raise RetryLater(0.0)


async def _fine(_container: Any, payload: dict[str, Any]) -> None:
    return None


async def _slow(_container: Any, payload: dict[str, Any]) -> None:
    await asyncio.Event().wait()  # never ends: its timeout cuts it short


SLOW_TIMEOUT_SECONDS = 0.3


async def test_jobs_given_up_on_are_counted_for_their_queue(redis_namespace: str) -> None:
    queue_key, failures_key = f"{redis_namespace}arq:payments", f"{redis_namespace}metrics:job-failures:payments"
    failures = ArqJobFailures(failures_key)
    functions = [
        arq_function(Job(name, None, run), max_tries=2, timeout_seconds=5, failures=failures)
        for name, run in (("broken", _broken), ("stuck", _stuck), ("fine", _fine))
    ]
    functions.append(
        arq_function(Job("slow", None, _slow), max_tries=2, timeout_seconds=SLOW_TIMEOUT_SECONDS, failures=failures)
    )
    worker = Worker(
        functions=functions,
        ctx={"container": None},
        queue_name=queue_key,
        redis_pool=NamespacedArqRedis(ConnectionPool.from_url(TEST_REDIS_URL), redis_namespace),
        poll_delay=0.02,
        handle_signals=False,
    )
    running = asyncio.create_task(worker.async_run())
    client = Redis.from_url(TEST_REDIS_URL)
    gauges = ArqQueueGauges(client, {"payments": queue_key}, {"payments": failures_key})
    try:
        names = ("broken", "stuck", "fine", "slow")
        sut = ArqJobQueue.on_client(client, dict.fromkeys(names, queue_key), redis_namespace)
        for job in ("broken", "stuck", "fine", "fine", "slow"):
            await sut.enqueue(job, {})

        async def settled() -> bool:
            # the stuck job's second run asks for a third it may not have: arq drops it (failed) unrun; the slow
            # one's timeout ends it, and arq does not run a timed-out job again
            return worker.jobs_complete == 2 and worker.jobs_failed == 3

        await eventually(settled, deadline=10)
        samples = {(s.name, s.labels["queue"]): s.value for s in await gauges.sample()}
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await client.aclose()

    assert samples == {("job_queue_depth", "payments"): 0.0, ("job_failures", "payments"): 3.0}
