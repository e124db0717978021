"""`open_container`: the process's clients for the lifetime of a block, and every context wired over them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from redis.asyncio import Redis

from src.adapters.clickhouse.olap import ClickHouseOlap, ClickHouseProbe
from src.adapters.security.passwords import CHEAP_TEST_PARAMETERS, Argon2PasswordHasher
from src.adapters.sqla.database import SqlaDatabase, SqlaDatabaseProbe
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.gauges import SqlaGauges
from src.adapters.sqla.repositories.games import SqlaPlayScores
from src.adapters.sqla.repositories.idempotency import SqlaIdempotencyStore
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.sqla.repositories.wallet import SqlaLedgerAuditor
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.adapters.system.clock import SystemClock
from src.application.analytics.export import OutboxExporter
from src.application.engagement.plays import PlaysDeps
from src.application.shared.idempotency import IdempotencyPolicy
from src.application.shared.outbox import OutboxRelay, Subscription
from src.application.shared.ports import Cache, Clock, HealthProbe
from src.application.shared.readiness import CacheProbe
from src.application.social.deps import SocialDeps
from src.entrypoints.bootstrap import contexts, infra
from src.entrypoints.container import Container
from src.entrypoints.events import subscriber_map
from src.entrypoints.settings import Settings


class Profile(Enum):
    """What a process opens. SERVER: the app (OLAP too unless OLAP_IN_APP=false, since /ready checks it; background
    work on a Redis client of its own). WORKER: as the server, with OLAP only on a ClickHouse server (chDB admits one
    process). COMMAND: a one-shot CLI command: one Redis client, no OLAP, no push client, realtime in memory (it never
    runs the relay)."""

    SERVER = "server"
    WORKER = "worker"
    COMMAND = "command"


class _Late:
    """The container, for in-process job handlers registered before it exists (no job runs before it does)."""

    def __init__(self) -> None:
        self.container: Container | None = None

    def __call__(self) -> Container:
        if self.container is None:
            raise RuntimeError("a job ran before the container was built")
        return self.container


@dataclass(frozen=True)
class _Clients:
    database: SqlaDatabase
    driver_pool: DriverPool | None  # PostgreSQL: connections of its own for standalone statements
    cache: Cache
    background: Redis | None  # relay passes and leaderboard writes
    realtime: Redis | None
    probes: list[HealthProbe]
    olap: ClickHouseOlap | None


async def _open_clients(settings: Settings, profile: Profile, stack: AsyncExitStack) -> _Clients:
    database = SqlaDatabase(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_max_waiting=settings.db_pool_max_waiting,
    )
    stack.push_async_callback(database.dispose)
    driver_pool = None
    if database.on_postgres:  # nothing opened until the first read
        driver_pool = DriverPool(
            database.connect_driver,
            size=settings.db_read_pool_size,
            timeout=settings.db_pool_timeout_seconds,
            max_waiting=settings.db_pool_max_waiting,
        )
        stack.push_async_callback(driver_pool.close)
    redis = await infra.open_redis(settings, stack)
    # background work gets its own connections, so a burst of requests queueing for the request pool cannot
    # starve event delivery; a one-shot command does no background work
    background = redis if profile is Profile.COMMAND else await infra.open_redis(settings, stack)
    cache = infra.cache_on(redis, settings)
    probes: list[HealthProbe] = [SqlaDatabaseProbe(database), CacheProbe(cache)]
    olap = await infra.open_olap(settings, stack) if _opens_olap(settings, profile) else None
    if olap is not None:
        probes.append(ClickHouseProbe(olap))
    realtime = None if profile is Profile.COMMAND else background
    return _Clients(database, driver_pool, cache, background, realtime, probes, olap)


def _opens_olap(settings: Settings, profile: Profile) -> bool:
    """The server, unless OLAP_IN_APP=false; a worker too when the store is a ClickHouse server (its privacy exports
    then carry the player's analytics history), never the embedded chDB, which admits the server's process only."""
    if not settings.olap_in_app or profile is Profile.COMMAND:
        return False
    return profile is Profile.SERVER or not infra.is_embedded_olap(settings)


def _uow_factory(
    database: SqlaDatabase, after_commit: Callable[[], None], standalone: DriverPool | None = None
) -> Callable[[], SqlaUnitOfWork]:
    def uow_factory() -> SqlaUnitOfWork:
        return SqlaUnitOfWork(database.session_factory, after_commit=after_commit, standalone=standalone)

    return uow_factory


async def _exporter(
    settings: Settings, clients: _Clients, store: SqlaOutboxStore, clock: Clock, profile: Profile, stack: AsyncExitStack
) -> OutboxExporter | None:
    """Outbox → Kafka when KAFKA_BOOTSTRAP_SERVERS is set (servers and workers), else → the OLAP writer in the
    process that holds the OLAP store (the server); a one-shot command exports nothing."""
    if profile is Profile.COMMAND:
        return None
    sink = await infra.event_sink(settings, clients.olap, stack)
    if sink is None:
        return None
    return OutboxExporter(store, sink, infra.cache_on(clients.background, settings), clock)


def _hands_off(settings: Settings, profile: Profile) -> bool:
    """Whether this process's relay hands its passes to its exporter (one mark a row instead of two): where the
    exporter runs here; to the embedded OLAP writer unless OUTBOX_RELAY_EXPORTS_TO_OLAP=false. Its two chDB inserts
    cost ~12 ms of CPU a call whatever its size (~17 ms for 300 events, ~45 ms for 2,000), paid at each relay pass
    instead of once a second; measured against the second mark they save, the hand-off came out ahead
    (docs/performance.md, "The outbox's marks"), and the setting is there for the A/B."""
    in_process = profile is not Profile.SERVER or settings.outbox_export_in_app
    return in_process and (bool(settings.kafka_bootstrap_servers) or settings.outbox_relay_exports_to_olap)


async def _container(
    shared: contexts.Shared, clients: _Clients, relay: OutboxRelay, profile: Profile, stack: AsyncExitStack
) -> Container:
    settings, sessions = shared.settings, clients.database.session_factory
    hasher = Argon2PasswordHasher(**(CHEAP_TEST_PARAMETERS if settings.test_cheap_password_hashes else {}))
    stack.callback(hasher.close)
    identity = contexts.identity(shared, hasher, infra.invalidation_channel(clients.background, settings))
    gateway = infra.payment_gateway(settings, shared.cache)
    engagement, rewards = contexts.engagement(shared)
    battlepass, seasons, missions = contexts.battlepass(shared), contexts.seasons(shared), contexts.missions(shared)
    push = infra.push_sender(settings, stack, over_http=profile is not Profile.COMMAND)
    leaderboard = infra.leaderboard_on(clients.background, settings)
    return Container(
        settings=settings,
        clock=shared.clock,
        cache=shared.cache,
        uow_factory=shared.uow_factory,
        identity=identity,
        limits=contexts.limits(shared),
        wallet=contexts.wallet(shared, clients.driver_pool),
        games=contexts.games(shared, leaderboard, clients.driver_pool),
        privacy=contexts.privacy(shared, identity, leaderboard, clients.olap),
        social=SocialDeps(shared.uow_factory, shared.clock),
        engagement=engagement,
        rewards=rewards,
        battlepass=battlepass,
        seasons=seasons,
        missions=missions,
        plays=PlaysDeps(shared.uow_factory, seasons, battlepass, missions, engagement),
        relay=relay,
        realtime=await contexts.realtime(settings, clients.realtime, identity, stack),
        shop=contexts.shop(shared),
        purchases=contexts.purchases(shared, gateway),
        notifications=contexts.notifications(shared, push),
        actions=contexts.actions(shared),
        liveops=contexts.liveops(shared, clients.olap),
        jobs=shared.jobs,
        gateway=gateway,
        idempotency=SqlaIdempotencyStore(sessions, clients.driver_pool),
        idempotency_policy=IdempotencyPolicy(
            in_flight_timeout=timedelta(seconds=settings.idempotency_in_flight_timeout_seconds)
        ),
        ledger_auditor=SqlaLedgerAuditor(sessions),
        play_scores=SqlaPlayScores(sessions),
        probes=clients.probes,
    )


def _notifier(relay: OutboxRelay, exporter: OutboxExporter | None) -> Callable[[], None]:
    """After each commit: wake the relay and the exporter, so events go now rather than at the next poll."""
    if exporter is None:
        return relay.notify

    def notify() -> None:
        relay.notify()
        exporter.notify()

    return notify


@asynccontextmanager
async def open_container(
    settings: Settings, *, profile: Profile = Profile.WORKER, clock: Clock | None = None
) -> AsyncIterator[Container]:
    """Open pools and clients for the lifetime of the block; everything is closed on exit. `clock`: the system
    clock unless a test gives its own."""
    settings.check_production_safety()
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        clients = await _open_clients(settings, profile, stack)
        subscribers: dict[str, list[Subscription]] = {}  # filled from the table once the container exists
        store = SqlaOutboxStore(clients.database.session_factory)
        relay = OutboxRelay(store, subscribers, infra.cache_on(clients.background, settings), clock)
        exporter = await _exporter(settings, clients, store, clock, profile, stack)
        if exporter is not None and _hands_off(settings, profile):
            relay.export = exporter  # this process exports: the relay's passes go to the sink with one mark a row
        notify = _notifier(relay, exporter)
        uow_factory = _uow_factory(clients.database, notify)
        late = _Late()
        jobs, queue_gauges = infra.job_queue(settings, clients.background, stack, late)
        standalone = _uow_factory(clients.database, notify, clients.driver_pool)
        shared = contexts.Shared(settings, uow_factory, clock, clients.cache, jobs, notify, standalone)
        late.container = container = await _container(shared, clients, relay, profile, stack)
        container.gauges = [SqlaGauges(clients.database, clock, clients.driver_pool), queue_gauges]
        container.olap, container.exporter = clients.olap, exporter
        subscribers.update(subscriber_map(container))
        yield container
