"""JobQueue on arq: jobs go to Redis and run on `casino-club worker --queue <queue>` processes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from arq.connections import ArqRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.adapters.arq.namespaced import NamespacedArqRedis
from src.application.shared.jobs import JobQueueUnavailable, UnknownJob
from src.application.shared.ports import GaugeSample

logger = structlog.get_logger("casino_club.jobs")


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


class ArqJobFailures:
    """Jobs a worker gave up on (an error, or its tries spent), counted in Redis per queue: a worker serves no
    HTTP, so the app's /metrics reads the count (ArqQueueGauges). Counting is best effort: a Redis error is logged
    and the job's own outcome stands."""

    def __init__(self, key: str) -> None:
        self.key = key  # under the deployment's namespace, as the worker's client writes it unchanged

    async def record(self, redis: Redis) -> None:
        try:
            await redis.incr(self.key)
        except (RedisError, OSError) as exc:
            logger.warning("could not count a failed job", key=self.key, error=repr(exc))


class ArqQueueGauges:
    """Implements GaugeSource: jobs waiting in each arq queue (a sorted set per queue, due and deferred), and the
    jobs the workers of each queue gave up on (counters that ArqJobFailures keeps)."""

    def __init__(self, client: Redis, queues: Mapping[str, str], failures: Mapping[str, str]) -> None:
        self._client = client
        self._queues = dict(queues)  # queue name -> its Redis key
        self._failures = dict(failures)  # queue name -> the key of its failure counter

    async def sample(self) -> Sequence[GaugeSample]:
        async with self._client.pipeline(transaction=False) as pipe:
            for key in self._queues.values():
                pipe.zcard(key)
            for key in self._failures.values():
                pipe.get(key)
            answers = await pipe.execute()
        depths, failed = answers[: len(self._queues)], answers[len(self._queues) :]
        return [
            *(
                GaugeSample("job_queue_depth", {"queue": name}, float(depth))
                for name, depth in zip(self._queues, depths, strict=True)
            ),
            *(
                GaugeSample("job_failures", {"queue": name}, float(count or 0))
                for name, count in zip(self._failures, failed, strict=True)
            ),
        ]
