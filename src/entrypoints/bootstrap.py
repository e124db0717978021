"""Composition root: reads settings and wires every port to an adapter. The only importer of adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool, Redis

from src.adapters.arq.jobs import ArqJobQueue
from src.adapters.arq.namespaced import NamespacedArqRedis
from src.adapters.clickhouse.olap import (
    ClickHouseOlap,
    ClickHouseProbe,
    chdb_directory,
    held_by_another_process,
    in_use,
)
from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.jobs import InProcessJobQueue
from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.memory.realtime_ids import InMemoryRealtimeSequencer
from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.adapters.realtime.channels import open_channels
from src.adapters.redis.cache import RedisCache
from src.adapters.redis.leaderboard import RedisLeaderboard
from src.adapters.redis.realtime_ids import RedisRealtimeSequencer
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.security.passwords import DEFAULT_BLOCKLIST_PATH, Argon2PasswordHasher, FilePasswordBlocklist
from src.adapters.security.tokens import PyJwtTokenService
from src.adapters.smtp.mailer import FileMailer, SmtpMailer
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase, SqlaDatabaseProbe
from src.adapters.sqla.repositories.games import SqlaPlayScores
from src.adapters.sqla.repositories.idempotency import SqlaIdempotencyStore
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.sqla.repositories.wallet import SqlaLedgerAuditor
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.adapters.system.clock import SystemClock
from src.adapters.system.random import SystemRandomSource
from src.adapters.webpush.sender import RecordingPushSender, WebPushSender
from src.adapters.webpush.vapid import VapidKeys, configured_keys, development_keys
from src.application.engagement.deps import EngagementDeps, RewardDeps
from src.application.engagement.vip import VipDeps, vip_subscribers
from src.application.games.boards import apply_plays
from src.application.games.deps import GamesDeps
from src.application.games.leaderboard import Leaderboard
from src.application.identity.config import IdentityConfig
from src.application.identity.deps import IdentityDeps
from src.application.identity.session_state import SessionStateCache
from src.application.identity.sessions import live_sessions
from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB, NotificationConfig, NotificationDeps
from src.application.notifications.email import send_email, send_welcome
from src.application.notifications.ports import Mailer, PushSender
from src.application.notifications.push import send_push
from src.application.notifications.reactions import notify_purchase, notify_reward
from src.application.realtime.events import realtime_subscribers
from src.application.realtime.hub import RealtimeHub
from src.application.realtime.messages import RealtimeConfig
from src.application.shared.idempotency import IdempotencyPolicy
from src.application.shared.outbox import BatchSubscriber, OutboxMessage, OutboxRelay, Subscription
from src.application.shared.ports import Cache, Clock, HealthProbe
from src.application.shared.readiness import CacheProbe
from src.application.shop.catalog import ShopDeps
from src.application.shop.deps import PurchaseConfig, PurchaseDeps
from src.application.shop.fraud import VelocityLimits
from src.application.shop.purchases import CAPTURE_JOB, retry_capture
from src.application.social.deps import SocialDeps
from src.application.wallet.deps import WalletConfig, WalletDeps
from src.application.wallet.handlers import credit_signup_bonus
from src.entrypoints.container import Container
from src.entrypoints.queues import job_queue_keys
from src.entrypoints.settings import Settings, SettingsError

REDIS_CONNECT_TIMEOUT_SECONDS = 3.0


async def _open_redis(settings: Settings, stack: AsyncExitStack) -> Redis | None:
    if not settings.redis_url:
        return None
    # a Redis that drops packets fails the request in seconds (503) instead of hanging it
    client: Redis = Redis.from_url(settings.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS)
    stack.push_async_callback(client.aclose)
    return client


def _cache(redis: Redis | None, settings: Settings) -> Cache:
    return InMemoryCache() if redis is None else RedisCache(redis, namespace=settings.redis_namespace)


def _leaderboard(redis: Redis | None, settings: Settings) -> Leaderboard:
    return InMemoryLeaderboard() if redis is None else RedisLeaderboard(redis, namespace=settings.redis_namespace)


def identity_config(settings: Settings) -> IdentityConfig:
    return IdentityConfig(
        refresh_ttl=timedelta(days=settings.refresh_expire_days),
        refresh_idle_ttl=timedelta(days=settings.refresh_idle_days),
        max_failed_logins=settings.login_max_failed_attempts,
        failed_login_window=timedelta(minutes=settings.login_lockout_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        dev_invite_code=None if settings.is_production else settings.dev_invite_code,
        session_state_ttl_seconds=settings.session_state_ttl_seconds,
        access_ttl_seconds=settings.jwt_expire_minutes * 60,
    )


def _identity(
    settings: Settings,
    uow_factory: Callable[[], SqlaUnitOfWork],
    cache: Cache,
    clock: Clock,
    hasher: Argon2PasswordHasher,
) -> IdentityDeps:
    config = identity_config(settings)
    return IdentityDeps(
        uow_factory=uow_factory,
        clock=clock,
        cache=cache,
        hasher=hasher,
        tokens=PyJwtTokenService(
            settings.jwt_secret, settings.jwt_previous_secrets, access_ttl_seconds=config.access_ttl_seconds
        ),
        ids=SecretsIdGenerator(),
        blocklist=FilePasswordBlocklist(DEFAULT_BLOCKLIST_PATH),
        session_state=SessionStateCache(
            cache, config.session_state_ttl_seconds, revoked_ttl_seconds=config.access_ttl_seconds + 60
        ),
        config=config,
    )


def _subscribers(wallet: WalletDeps, leaderboard: Leaderboard) -> dict[str, list[Subscription]]:
    """In-process consumers of domain events, by event type (each is idempotent by event id)."""

    async def signup_bonus(message: OutboxMessage) -> None:
        await credit_signup_bonus(message, wallet)

    async def boards(messages: Sequence[OutboxMessage]) -> None:
        await apply_plays(messages, leaderboard)

    leaderboards = BatchSubscriber(boards)
    return {"UserSignedUp": [signup_bonus], "SpinSettled": [leaderboards], "GachaPulled": [leaderboards]}


def purchase_config(settings: Settings) -> PurchaseConfig:
    retired = dict(pair.split(":", 1) for pair in settings.transaction_integrity_previous_keys if ":" in pair)
    return PurchaseConfig(
        receipt_secret=settings.payment_receipt_secret,
        integrity_key_id=settings.transaction_integrity_key_id,
        integrity_secrets={**retired, settings.transaction_integrity_key_id: settings.transaction_integrity_secret},
        webhook_secrets=tuple(settings.payment_webhook_secrets),
        capture_max_attempts=settings.capture_max_attempts,
        capture_retry_base_seconds=settings.capture_retry_base_seconds,
        pending_max_age=timedelta(minutes=settings.pending_tx_max_age_minutes),
        hold_ttl=timedelta(seconds=settings.limited_hold_ttl_seconds),
        velocity=VelocityLimits(
            max_attempts=settings.fraud_max_attempts,
            max_distinct_cards=settings.fraud_max_distinct_cards,
            window=timedelta(seconds=settings.fraud_window_seconds),
        ),
    )


def _job_queue(settings: Settings, redis: Redis | None, stack: AsyncExitStack) -> InProcessJobQueue | ArqJobQueue:
    """JOB_QUEUE: arq (workers run the jobs) or tasks of this process (closed before the database)."""
    if not settings.jobs_on_arq:
        queue = InProcessJobQueue()
        stack.push_async_callback(queue.close)
        return queue
    if redis is None:
        raise SettingsError("JOB_QUEUE=arq needs REDIS_URL")
    return ArqJobQueue.on_client(redis, job_queue_keys(settings), settings.redis_namespace)


def worker_redis(settings: Settings) -> ArqRedis:
    """The Redis client of an arq worker: every key it writes under REDIS_NAMESPACE (connects on first use)."""
    if not settings.redis_url:
        raise SettingsError("the worker needs REDIS_URL")
    return NamespacedArqRedis(ConnectionPool.from_url(settings.redis_url), settings.redis_namespace)


def _register_in_process_jobs(jobs: InProcessJobQueue, purchases: PurchaseDeps) -> None:
    """The jobs an arq worker would run (workers/), run here by the same application functions."""

    async def capture_payment(payload: dict[str, Any]) -> None:
        await retry_capture(str(payload["transaction_id"]), purchases)

    jobs.register(CAPTURE_JOB, capture_payment)


def _gateway(settings: Settings, cache: Cache) -> SandboxPaymentGateway:
    """The sandbox keeps its charges in the shared cache, so app instances and workers see one gateway."""
    return SandboxPaymentGateway(
        settings.payment_webhook_secrets[0], cache, capture_delay_seconds=settings.sandbox_capture_delay_seconds
    )


def _vapid_keys(settings: Settings) -> VapidKeys:
    """Production refuses to start without VAPID_PRIVATE_KEY; elsewhere a key is generated once under VAR_DIR."""
    if settings.vapid_private_key:
        return configured_keys(settings.vapid_private_key)
    return development_keys(Path(settings.var_dir))


def _push_sender(settings: Settings, stack: AsyncExitStack) -> PushSender:
    """PUSH_SENDER: push services over HTTP (webpush), or records under VAR_DIR/push/ (the embedded default)."""
    keys = _vapid_keys(settings)
    if not settings.pushes_over_http:
        return RecordingPushSender(keys, Path(settings.var_dir) / "push")
    client = httpx.AsyncClient(timeout=settings.push_timeout_seconds)
    stack.push_async_callback(client.aclose)
    return WebPushSender(keys, settings.vapid_contact_email, client)


def _mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return FileMailer(Path(settings.var_dir) / "mail", settings.mail_from)


def notification_config(settings: Settings) -> NotificationConfig:
    return NotificationConfig(
        retention_days=settings.notification_retention_days,
        push_ttl_seconds=settings.push_ttl_seconds,
        push_urgency=settings.push_urgency,
        max_attempts=settings.notification_max_attempts,
        retry_base_seconds=settings.notification_retry_base_seconds,
        allow_insecure_push_endpoints=not settings.is_production,
    )


def _wire_notifications(
    deps: NotificationDeps, jobs: InProcessJobQueue | ArqJobQueue, subscribers: dict[str, list[Subscription]]
) -> None:
    """Signups get the welcome email, rewards and captured purchases a notification; with jobs in process, push
    and email sends run here."""

    async def welcome(message: OutboxMessage) -> None:
        await send_welcome(message.aggregate_id, deps)

    async def reward(message: OutboxMessage) -> None:
        await notify_reward(message, deps)

    async def purchase(message: OutboxMessage) -> None:
        await notify_purchase(message, deps)

    for event_type, consumer in (("UserSignedUp", welcome), ("RewardGranted", reward), ("PurchaseUpdated", purchase)):
        subscribers.setdefault(event_type, []).append(consumer)
    if isinstance(jobs, InProcessJobQueue):

        async def push(payload: dict[str, Any]) -> None:
            await send_push(payload, deps)

        async def email(payload: dict[str, Any]) -> None:
            await send_email(payload, deps)

        jobs.register(PUSH_JOB, push, max_tries=deps.config.max_attempts)
        jobs.register(EMAIL_JOB, email, max_tries=deps.config.max_attempts)


def realtime_config(settings: Settings) -> RealtimeConfig:
    return RealtimeConfig(
        history_size=settings.realtime_history_size,
        history_ttl_seconds=settings.realtime_history_ttl_seconds,
        queue_size=settings.realtime_queue_size,
        max_connections_per_user=settings.realtime_max_connections_per_user,
        heartbeat_seconds=settings.realtime_heartbeat_seconds,
        idle_timeout_seconds=settings.realtime_idle_timeout_seconds,
        session_check_seconds=settings.realtime_session_check_seconds,
    )


async def _realtime(
    settings: Settings,
    redis: Redis | None,
    identity: IdentityDeps,
    subscribers: dict[str, list[Subscription]],
    stack: AsyncExitStack,
) -> RealtimeHub:
    """Realtime fan-out on Redis streams (history included) when REDIS_URL is set, else in memory; the outbox
    relay feeds it wherever it runs (an app instance or the maintenance worker)."""
    config = realtime_config(settings)
    channels = await stack.enter_async_context(
        open_channels(
            redis,
            namespace=settings.redis_namespace,
            history=config.history_size,
            history_ttl_seconds=config.history_ttl_seconds,
            block_ms=settings.realtime_redis_block_ms,
        )
    )
    ids = InMemoryRealtimeSequencer() if redis is None else RedisRealtimeSequencer(redis, settings.redis_namespace)
    hub = RealtimeHub(channels, ids, identity.clock, config, lambda sessions: live_sessions(sessions, identity))
    stack.callback(hub.close_all)
    for event_type, consumers in realtime_subscribers(hub.publisher).items():
        subscribers.setdefault(event_type, []).extend(consumers)
    return hub


def check_embedded_olap_free(settings: Settings) -> None:
    """Before a process opens the embedded OLAP store: StoreInUse when another process (a server) holds it."""
    directory = chdb_directory(settings.clickhouse_dsn)
    if directory is not None and held_by_another_process(directory):
        raise in_use(directory)


async def _open_olap(settings: Settings, stack: AsyncExitStack) -> ClickHouseOlap:
    olap = ClickHouseOlap(settings.clickhouse_dsn)
    await olap.start()
    stack.push_async_callback(olap.close)
    return olap


@asynccontextmanager
async def open_container(settings: Settings, *, olap: bool = False) -> AsyncIterator[Container]:
    """Open pools and clients for the lifetime of the block; everything is closed on exit.

    `olap`: open the OLAP store too (the app, whose /ready checks it). Others leave it closed: embedded, chDB admits
    one process, so a command run beside the server must not need it.
    """
    settings.check_production_safety()
    async with AsyncExitStack() as stack:
        database = SqlaDatabase(settings.database_url, pool_size=settings.db_pool_size)
        stack.push_async_callback(database.dispose)
        redis = await _open_redis(settings, stack)
        # background work (relay passes, leaderboard writes) gets its own connections, so a burst of
        # requests queueing for the request pool cannot starve event delivery
        background_redis = await _open_redis(settings, stack)
        cache = _cache(redis, settings)
        leaderboard = _leaderboard(background_redis, settings)
        probes: list[HealthProbe] = [SqlaDatabaseProbe(database), CacheProbe(cache)]
        if olap:
            probes.append(ClickHouseProbe(await _open_olap(settings, stack)))
        clock = SystemClock()
        hasher = Argon2PasswordHasher()
        stack.callback(hasher.close)
        subscribers: dict[str, list[Subscription]] = {}  # filled below, once the consuming contexts exist
        relay = OutboxRelay(
            SqlaOutboxStore(database.session_factory), subscribers, _cache(background_redis, settings), clock
        )

        def uow_factory() -> SqlaUnitOfWork:
            return SqlaUnitOfWork(database.session_factory, after_commit=relay.notify)

        wallet = WalletDeps(
            uow_factory=uow_factory,
            clock=clock,
            ids=SecretsIdGenerator(),
            config=WalletConfig(starting_coins=settings.starting_coins, starting_gems=settings.starting_gems),
        )
        subscribers.update(_subscribers(wallet, leaderboard))
        jobs = _job_queue(settings, background_redis, stack)
        gateway = _gateway(settings, cache)
        purchases = PurchaseDeps(
            uow_factory=uow_factory,
            clock=clock,
            ids=SecretsIdGenerator(),
            cache=cache,
            gateway=gateway,
            jobs=jobs,
            config=purchase_config(settings),
        )
        if isinstance(jobs, InProcessJobQueue):
            _register_in_process_jobs(jobs, purchases)
        notifications = NotificationDeps(
            uow_factory=uow_factory,
            clock=clock,
            ids=SecretsIdGenerator(),
            cache=cache,
            jobs=jobs,
            push=_push_sender(settings, stack),
            mailer=_mailer(settings),
            config=notification_config(settings),
        )
        _wire_notifications(notifications, jobs, subscribers)
        identity = _identity(settings, uow_factory, cache, clock, hasher)
        games = GamesDeps(
            uow_factory=uow_factory,
            clock=clock,
            ids=SecretsIdGenerator(),
            rng=SystemRandomSource(),
            leaderboard=leaderboard,
            slot_max_bet=settings.slot_max_bet,
        )
        for event_type, consumers in vip_subscribers(VipDeps(uow_factory, clock, purchases, games)).items():
            subscribers.setdefault(event_type, []).extend(consumers)
        realtime = await _realtime(settings, background_redis, identity, subscribers, stack)
        yield Container(
            settings=settings,
            clock=clock,
            cache=cache,
            uow_factory=uow_factory,
            identity=identity,
            wallet=wallet,
            games=games,
            social=SocialDeps(uow_factory, clock),
            engagement=EngagementDeps(uow_factory, clock, ZoneInfo(settings.streak_timezone)),
            rewards=RewardDeps(uow_factory, clock, SecretsIdGenerator()),
            relay=relay,
            realtime=realtime,
            shop=ShopDeps(uow_factory=uow_factory, clock=clock, ids=SecretsIdGenerator()),
            purchases=purchases,
            notifications=notifications,
            jobs=jobs,
            gateway=gateway,
            idempotency=SqlaIdempotencyStore(database.session_factory),
            idempotency_policy=IdempotencyPolicy(
                in_flight_timeout=timedelta(seconds=settings.idempotency_in_flight_timeout_seconds)
            ),
            ledger_auditor=SqlaLedgerAuditor(database.session_factory),
            play_scores=SqlaPlayScores(database.session_factory),
            probes=probes,
        )


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to `revision` (blocking; run it before serving or from a thread)."""
    migrations.upgrade(settings.database_url, revision)
