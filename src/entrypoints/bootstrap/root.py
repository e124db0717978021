"""`open_container`: the process's clients for the lifetime of a block, and every context wired over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from enum import Enum

from src.adapters.clickhouse.olap import ClickHouseProbe
from src.adapters.security.passwords import Argon2PasswordHasher
from src.adapters.sqla.database import SqlaDatabase, SqlaDatabaseProbe
from src.adapters.sqla.repositories.games import SqlaPlayScores
from src.adapters.sqla.repositories.idempotency import SqlaIdempotencyStore
from src.adapters.sqla.repositories.outbox import SqlaOutboxStore
from src.adapters.sqla.repositories.wallet import SqlaLedgerAuditor
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.adapters.system.clock import SystemClock
from src.application.shared.idempotency import IdempotencyPolicy
from src.application.shared.outbox import OutboxRelay, Subscription
from src.application.shared.ports import Clock, HealthProbe
from src.application.shared.readiness import CacheProbe
from src.application.social.deps import SocialDeps
from src.entrypoints.bootstrap import contexts, infra
from src.entrypoints.container import Container
from src.entrypoints.events import subscriber_map
from src.entrypoints.settings import Settings


class Profile(Enum):
    """What a process opens. SERVER: the app (OLAP too, since /ready checks it; background work on a Redis client
    of its own). WORKER: as the server, without OLAP (embedded, chDB admits one process). COMMAND: a one-shot CLI
    command: one Redis client, no OLAP, no push client, realtime in memory (it never runs the relay)."""

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


@asynccontextmanager
async def open_container(
    settings: Settings, *, profile: Profile = Profile.WORKER, clock: Clock | None = None
) -> AsyncIterator[Container]:
    """Open pools and clients for the lifetime of the block; everything is closed on exit. `clock`: the system
    clock unless a test gives its own."""
    settings.check_production_safety()
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        database = SqlaDatabase(settings.database_url, pool_size=settings.db_pool_size)
        stack.push_async_callback(database.dispose)
        redis = await infra.open_redis(settings, stack)
        # background work (relay passes, leaderboard writes) gets its own connections, so a burst of
        # requests queueing for the request pool cannot starve event delivery
        background = redis if profile is Profile.COMMAND else await infra.open_redis(settings, stack)
        cache = infra.cache_on(redis, settings)
        probes: list[HealthProbe] = [SqlaDatabaseProbe(database), CacheProbe(cache)]
        if profile is Profile.SERVER:
            probes.append(ClickHouseProbe(await infra.open_olap(settings, stack)))
        hasher = Argon2PasswordHasher()
        stack.callback(hasher.close)
        subscribers: dict[str, list[Subscription]] = {}  # filled from the table once the container exists
        store = SqlaOutboxStore(database.session_factory)
        relay = OutboxRelay(store, subscribers, infra.cache_on(background, settings), clock)

        def uow_factory() -> SqlaUnitOfWork:
            return SqlaUnitOfWork(database.session_factory, after_commit=relay.notify)

        late = _Late()
        jobs = infra.job_queue(settings, background, stack, late)
        shared = contexts.Shared(settings, uow_factory, clock, cache, jobs)
        identity = contexts.identity(shared, hasher)
        gateway = infra.payment_gateway(settings, cache)
        engagement, rewards = contexts.engagement(shared)
        realtime_redis = None if profile is Profile.COMMAND else background
        push = infra.push_sender(settings, stack, over_http=profile is not Profile.COMMAND)
        late.container = container = Container(
            settings=settings,
            clock=clock,
            cache=cache,
            uow_factory=uow_factory,
            identity=identity,
            wallet=contexts.wallet(shared),
            games=contexts.games(shared, infra.leaderboard_on(background, settings)),
            social=SocialDeps(uow_factory, clock),
            engagement=engagement,
            rewards=rewards,
            relay=relay,
            realtime=await contexts.realtime(settings, realtime_redis, identity, stack),
            shop=contexts.shop(shared),
            purchases=contexts.purchases(shared, gateway),
            notifications=contexts.notifications(shared, push),
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
        subscribers.update(subscriber_map(container))
        yield container
