"""Clients and stores that several contexts share: Redis, the database, OLAP, the job queue, push and mail."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool, Redis

from src.adapters.arq.jobs import ArqJobFailures, ArqJobQueue, ArqQueueGauges
from src.adapters.arq.namespaced import NamespacedArqRedis
from src.adapters.clickhouse import migrations as olap_migrations
from src.adapters.clickhouse.olap import ClickHouseOlap, chdb_directory, held_by_another_process, in_use
from src.adapters.kafka.publisher import KafkaEventSink
from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.jobs import IN_PROCESS, InProcessJobQueue, InProcessQueueGauges
from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.adapters.redis.cache import RedisCache
from src.adapters.redis.invalidations import RedisInvalidationChannel
from src.adapters.redis.leaderboard import RedisLeaderboard
from src.adapters.redis.packing import HiredisPackingConnection
from src.adapters.redis.pool import ConcurrentCheckoutPool
from src.adapters.smtp.mailer import FileMailer, SmtpMailer
from src.adapters.sqla import migrations
from src.adapters.webpush.sender import RecordingPushSender, WebPushSender
from src.adapters.webpush.vapid import VapidKeys, configured_keys, development_keys, is_pem, key_file
from src.application.analytics.ports import EventSink, OlapStore
from src.application.analytics.writer import OlapEventWriter
from src.application.games.leaderboard import Leaderboard
from src.application.notifications.ports import Mailer, PushSender
from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Cache, GaugeSource, InvalidationChannel
from src.entrypoints.container import Container
from src.entrypoints.jobs import QUEUES, Job, failures_key, job_queue_keys, queue_key, queued_jobs
from src.entrypoints.settings import Settings, SettingsError

REDIS_CONNECT_TIMEOUT_SECONDS = 3.0


async def open_redis(settings: Settings, stack: AsyncExitStack) -> Redis | None:
    if not settings.redis_url:
        return None
    # a Redis that drops packets fails the request in seconds (503) instead of hanging it
    # commands packed in C (a rediss:// or unix:// URL keeps redis-py's own connection class and packer)
    pool = ConcurrentCheckoutPool.from_url(
        settings.redis_url,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
        connection_class=HiredisPackingConnection,
    )
    client: Redis = Redis.from_pool(pool)  # the client closes the pool with itself
    stack.push_async_callback(client.aclose)
    return client


def worker_redis(settings: Settings) -> ArqRedis:
    """The Redis client of an arq worker: every key it writes under REDIS_NAMESPACE (connects on first use)."""
    if not settings.redis_url:
        raise SettingsError("the worker needs REDIS_URL")
    return NamespacedArqRedis(ConnectionPool.from_url(settings.redis_url), settings.redis_namespace)


def job_failures(settings: Settings, queue: str) -> ArqJobFailures:
    """What counts the jobs a worker of `queue` gives up on (for the app's /metrics)."""
    return ArqJobFailures(failures_key(settings, queue))


def cache_on(redis: Redis | None, settings: Settings) -> Cache:
    return InMemoryCache() if redis is None else RedisCache(redis, namespace=settings.redis_namespace)


def invalidation_channel(redis: Redis | None, settings: Settings) -> InvalidationChannel | None:
    """Across processes on Redis; without Redis the cache is already this process's memory, so no channel."""
    if redis is None:
        return None
    return RedisInvalidationChannel(redis, "sessions", namespace=settings.redis_namespace)


def leaderboard_on(redis: Redis | None, settings: Settings) -> Leaderboard:
    return InMemoryLeaderboard() if redis is None else RedisLeaderboard(redis, namespace=settings.redis_namespace)


def check_processes_can_share(settings: Settings) -> None:
    """Several server processes need what they share outside them: Redis (sessions, locks, the relay's lease,
    realtime) and an OLAP store other processes can open, or none in the app (the embedded one admits one
    process)."""
    if not settings.redis_url:
        raise SettingsError("--workers above 1 needs REDIS_URL (each process would keep its own state)")
    if settings.olap_in_app and chdb_directory(settings.clickhouse_dsn) is not None:
        raise SettingsError(
            "--workers above 1 needs a ClickHouse server (CLICKHOUSE_DSN) or OLAP_IN_APP=false with Kafka (the "
            "embedded store is then `casino-club consume`'s): chDB admits one process"
        )


def check_embedded_olap_free(settings: Settings) -> None:
    """Before a process opens the embedded OLAP store: StoreInUse when another process (a server) holds it."""
    directory = chdb_directory(settings.clickhouse_dsn)
    if directory is not None and held_by_another_process(directory):
        raise in_use(directory)


def is_embedded_olap(settings: Settings) -> bool:
    return chdb_directory(settings.clickhouse_dsn) is not None


async def open_olap(settings: Settings, stack: AsyncExitStack) -> ClickHouseOlap:
    """The OLAP store; the embedded one (chDB) gets its schema here, since no other process may open it."""
    olap = ClickHouseOlap(settings.clickhouse_dsn)
    await olap.start()
    stack.push_async_callback(olap.close)
    if chdb_directory(settings.clickhouse_dsn) is not None:
        await olap_migrations.upgrade(olap)
    return olap


async def migrate_olap(settings: Settings) -> list[str]:
    """Apply the OLAP schema migrations; returns the names of those applied now."""
    olap = ClickHouseOlap(settings.clickhouse_dsn)
    await olap.start()
    try:
        return [migration.name for migration in await olap_migrations.upgrade(olap)]
    finally:
        await olap.close()


async def event_sink(settings: Settings, olap: OlapStore | None, stack: AsyncExitStack) -> EventSink | None:
    """Kafka when configured; else the OLAP writer itself, in the process that has the OLAP store open."""
    if settings.kafka_bootstrap_servers:
        sink = KafkaEventSink(
            settings.kafka_bootstrap_servers,
            settings.kafka_events_topic,
            idempotent=settings.kafka_idempotent_producer,
        )
        stack.push_async_callback(sink.close)
        return sink
    return OlapEventWriter(olap) if olap is not None else None


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to `revision` (blocking; run it before serving or from a thread)."""
    migrations.upgrade(settings.database_url, revision)


def job_queue(
    settings: Settings, redis: Redis | None, stack: AsyncExitStack, container: Callable[[], Container]
) -> tuple[JobQueue, GaugeSource]:
    """JOB_QUEUE: arq (workers run the jobs) or tasks of this process (closed before the database), which run the
    table's jobs with the container this process builds; with what measures how many jobs wait."""
    if settings.jobs_on_arq:
        if redis is None:
            raise SettingsError("JOB_QUEUE=arq needs REDIS_URL")
        gauges = ArqQueueGauges(
            redis,
            {name: queue_key(settings, name) for name in QUEUES},
            {name: failures_key(settings, name) for name in QUEUES},
        )
        return ArqJobQueue.on_client(redis, job_queue_keys(settings), settings.redis_namespace), gauges
    queue = InProcessJobQueue()
    stack.push_async_callback(queue.close)
    for job in queued_jobs():
        queue.register(job.name, _bound(job, container), max_tries=job.tries(settings), queue=job.queue or IN_PROCESS)
    return queue, InProcessQueueGauges(queue)


def _bound(job: Job, container: Callable[[], Container]) -> Callable[[dict[str, Any]], Any]:
    async def run(payload: dict[str, Any]) -> object:
        return await job.run(container(), payload)

    return run


def payment_gateway(settings: Settings, cache: Cache) -> SandboxPaymentGateway:
    """The sandbox keeps its charges in the shared cache, so app instances and workers see one gateway."""
    return SandboxPaymentGateway(
        settings.payment_webhook_secrets[0], cache, capture_delay_seconds=settings.sandbox_capture_delay_seconds
    )


def _vapid_keys(settings: Settings) -> VapidKeys:
    """Production refuses to start without VAPID_PRIVATE_KEY; elsewhere a key is generated once under VAR_DIR."""
    if settings.vapid_private_key:
        return configured_keys(settings.vapid_private_key)
    return development_keys(Path(settings.var_dir))


def ensure_vapid_key(settings: Settings) -> str:
    """`casino-club vapid-key`: a VAPID_PRIVATE_KEY that names a file gets one generated there when missing (the
    compose stack's one-shot step, so every container then reads the same key); answers the public key."""
    configured = settings.vapid_private_key
    if configured and not is_pem(configured):
        return key_file(Path(configured.strip())).application_server_key
    return _vapid_keys(settings).application_server_key


def push_sender(settings: Settings, stack: AsyncExitStack, *, over_http: bool) -> PushSender:
    """PUSH_SENDER: push services over HTTP (webpush), or records under VAR_DIR/push/ (the embedded default)."""
    keys = _vapid_keys(settings)
    if not (over_http and settings.pushes_over_http):
        return RecordingPushSender(keys, Path(settings.var_dir) / "push")
    client = httpx.AsyncClient(timeout=settings.push_timeout_seconds)
    stack.push_async_callback(client.aclose)
    return WebPushSender(keys, settings.vapid_contact_email, client)


def mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return FileMailer(Path(settings.var_dir) / "mail", settings.mail_from)
