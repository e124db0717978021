"""Fixtures for the JobQueue contract: every test runs on the in-process runner and on arq with a real arq Worker
(in this event loop, on the test's Redis namespace), the job functions wrapped as the payments worker wraps them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from arq.worker import Function, Worker
from redis.asyncio import ConnectionPool, Redis

from src.adapters.arq.jobs import ArqJobQueue
from src.adapters.arq.namespaced import NamespacedArqRedis
from src.adapters.memory.jobs import InProcessJobQueue
from src.application.shared.jobs import JobHandler, JobQueue
from src.entrypoints.jobs import Job
from tests.support.env import TEST_REDIS_URL
from workers.jobs import arq_function

Handlers = Mapping[str, JobHandler]
OpenQueue = Callable[..., Awaitable[JobQueue]]


def _arq_job(name: str, handler: JobHandler) -> Function:
    """The handler as the workers run a job of the job table (no container: the handler needs none)."""

    async def run(_container: Any, payload: dict[str, Any]) -> None:
        await handler(payload)

    return arq_function(Job(name, None, run), max_tries=10, timeout_seconds=5)


@contextlib.asynccontextmanager
async def _in_process() -> AsyncIterator[OpenQueue]:
    queues: list[InProcessJobQueue] = []

    async def open_queue(handlers: Handlers, deployment: str = "") -> JobQueue:
        queue = InProcessJobQueue()
        for name, handler in handlers.items():
            queue.register(name, handler)
        queues.append(queue)
        return queue

    try:
        yield open_queue
    finally:
        for queue in queues:
            await queue.close()


@contextlib.asynccontextmanager
async def _arq(namespace: str) -> AsyncIterator[OpenQueue]:
    client = Redis.from_url(TEST_REDIS_URL)
    workers: list[tuple[Worker, asyncio.Task[None]]] = []

    async def open_queue(handlers: Handlers, deployment: str = "") -> JobQueue:
        namespaced = namespace + deployment
        queue_key = f"{namespaced}arq:contract"
        worker = Worker(
            functions=[_arq_job(name, handler) for name, handler in handlers.items()],
            ctx={"container": None},
            queue_name=queue_key,
            redis_pool=NamespacedArqRedis(ConnectionPool.from_url(TEST_REDIS_URL), namespaced),
            poll_delay=0.02,
            handle_signals=False,
        )
        workers.append((worker, asyncio.create_task(worker.async_run())))
        return ArqJobQueue.on_client(client, dict.fromkeys(handlers, queue_key), namespaced)

    try:
        yield open_queue
    finally:
        for worker, task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await client.aclose()


@pytest.fixture(params=["in-process", "arq"])
async def open_queue(request: pytest.FixtureRequest, redis_namespace: str) -> AsyncIterator[OpenQueue]:
    """`await open_queue({"job": handler})` gives a queue whose jobs run on a runner that knows those handlers;
    `deployment="b:"` one under a sub-namespace, as another deployment on the same Redis."""
    runner = _in_process() if request.param == "in-process" else _arq(redis_namespace)
    async with runner as open_queue:
        yield open_queue
