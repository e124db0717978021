"""A worker told to stop while a job sits between two of its Redis calls still closes: its shutdown hook runs (the
container is closed) and nothing escapes `close`, so the process exits 0."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import ConnectionPool, Redis

from src.adapters.arq.namespaced import NamespacedArqRedis
from src.entrypoints.jobs import Job
from tests.support.env import TEST_REDIS_URL
from workers.jobs import arq_function
from workers.runner import GracefulWorker


async def _fine(_container: Any, payload: dict[str, Any]) -> None:
    return None


def _worker(redis_namespace: str, shut_down: list[str]) -> GracefulWorker:
    async def on_shutdown(ctx: dict[str, Any]) -> None:
        shut_down.append(ctx["container"])

    return GracefulWorker(
        functions=[arq_function(Job("fine", None, _fine), max_tries=1, timeout_seconds=5.0, failures=None)],
        ctx={"container": "the container"},
        queue_name=f"{redis_namespace}arq:shutdown",
        redis_pool=NamespacedArqRedis(ConnectionPool.from_url(TEST_REDIS_URL), redis_namespace),
        handle_signals=False,
        on_shutdown=on_shutdown,
    )


async def _interrupted_claim() -> asyncio.Task[None]:
    """A job task the shutdown signal cancelled while it waited on Redis inside arq's own code, where arq does not
    catch the cancellation."""
    client = Redis.from_url(TEST_REDIS_URL)
    waiting = asyncio.Event()

    async def claim() -> None:
        try:
            waiting.set()
            await client.blpop(["shutdown-test:never-pushed"], timeout=30)  # type: ignore[arg-type]
        finally:
            await client.aclose()

    task = asyncio.create_task(claim())
    await waiting.wait()
    task.cancel()
    return task


async def test_a_job_cancelled_by_the_shutdown_does_not_stop_the_worker_closing(redis_namespace: str) -> None:
    shut_down: list[str] = []
    sut = _worker(redis_namespace, shut_down)
    sut.tasks["claimed-job"] = await _interrupted_claim()

    await sut.close()

    assert shut_down == ["the container"]


async def test_a_job_still_running_when_the_worker_closes_is_cancelled_and_the_worker_still_closes(
    redis_namespace: str,
) -> None:
    shut_down: list[str] = []
    sut = _worker(redis_namespace, shut_down)
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.Event().wait()

    running = asyncio.create_task(job())
    sut.tasks["running-job"] = running
    await started.wait()

    await asyncio.wait_for(sut.close(), timeout=10)

    assert running.cancelled()
    assert shut_down == ["the container"]
