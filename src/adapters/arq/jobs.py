"""JobQueue on arq: jobs go to Redis and run on `casino-club worker --queue <queue>` processes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.adapters.arq.namespaced import NamespacedArqRedis
from src.application.shared.jobs import JobQueueUnavailable, UnknownJob
from src.application.shared.ports import GaugeSample


class ArqJobQueue:
    """Implements JobQueue. `queues` maps each job name to the Redis key of the queue whose worker runs it.

    Every key arq writes goes under `namespace` (see NamespacedArqRedis); job ids carry it too, so a job id in
    a worker's log says which deployment it belongs to.
    """

    def __init__(self, pool: ArqRedis, queues: Mapping[str, str], namespace: str) -> None:
        self._pool = pool
        self._queues = dict(queues)
        self._namespace = namespace

    @classmethod
    def on_client(cls, client: Redis, queues: Mapping[str, str], namespace: str) -> ArqJobQueue:
        """Share `client`'s connection pool (the client owns and closes it)."""
        return cls(NamespacedArqRedis(client.connection_pool, namespace), queues, namespace)

    async def enqueue(
        self, job: str, payload: dict[str, Any], *, delay_seconds: float = 0.0, job_id: str | None = None
    ) -> None:
        queue = self._queues.get(job)
        if queue is None:
            raise UnknownJob(f"no queue is routed for job {job!r}")
        try:
            await self._pool.enqueue_job(
                job,
                dict(payload),
                _job_id=None if job_id is None else self._namespace + job_id,
                _defer_by=delay_seconds if delay_seconds > 0 else None,
                _queue_name=queue,
            )
        except (RedisError, OSError) as exc:
            raise JobQueueUnavailable(f"could not queue {job!r}") from exc


class ArqQueueGauges:
    """Implements GaugeSource: jobs waiting in each arq queue (a sorted set per queue, due and deferred)."""

    def __init__(self, client: Redis, queues: Mapping[str, str]) -> None:
        self._client = client
        self._queues = dict(queues)  # queue name -> its Redis key

    async def sample(self) -> Sequence[GaugeSample]:
        async with self._client.pipeline(transaction=False) as pipe:
            for key in self._queues.values():
                pipe.zcard(key)
            depths = await pipe.execute()
        return [
            GaugeSample("job_queue_depth", {"queue": name}, float(depth))
            for name, depth in zip(self._queues, depths, strict=True)
        ]
