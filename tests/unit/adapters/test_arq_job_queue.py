"""The arq job queue says it is unavailable, in the port's own words, when Redis cannot be reached."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from src.adapters.arq.jobs import ArqJobQueue
from src.application.shared.jobs import JobQueueUnavailable, UnknownJob
from tests.support.processes import free_port


async def test_an_unreachable_redis_is_reported_as_an_unavailable_queue() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    sut = ArqJobQueue.on_client(client, {"capture_payment": "cc:arq:payments"}, "cc:")
    try:
        with pytest.raises(JobQueueUnavailable):
            await sut.enqueue("capture_payment", {"transaction_id": "tx-1"}, job_id="capture:tx-1:1")
        with pytest.raises(UnknownJob):
            await sut.enqueue("no_such_job", {})
    finally:
        await client.aclose()
