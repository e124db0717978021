"""Each context's dependencies, built from the shared clients (`Shared`) and the settings."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from src.adapters.memory.realtime_ids import InMemoryRealtimeSequencer
from src.adapters.realtime.channels import open_channels
from src.adapters.redis.realtime_ids import RedisRealtimeSequencer
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.security.passwords import DEFAULT_BLOCKLIST_PATH, Argon2PasswordHasher, FilePasswordBlocklist
from src.adapters.security.seeds import AesGcmSeedVault
from src.adapters.security.tokens import PyJwtTokenService
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.pg_plays import PgPlaysAtOnce
from src.adapters.sqla.repositories.pg_wallet import PgBalanceReads
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.analytics.deps import ActionConfig, ActionDeps
from src.application.analytics.ports import OlapStore
from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.deps import EngagementDeps, MissionDeps, RewardDeps
from src.application.engagement.seasons import SeasonDeps
from src.application.games.deps import GamesDeps
from src.application.games.leaderboard import Leaderboard
from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import IdentityUnitOfWork
from src.application.identity.session_state import SessionStateCache
from src.application.identity.sessions import live_sessions
from src.application.limits.controls import LimitsDeps
from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.remote_config import effective, player_config
from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import PushSender
from src.application.privacy.deps import PrivacyConfig, PrivacyDeps
from src.application.realtime.hub import RealtimeHub
from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Cache, Clock, InvalidationChannel
from src.application.shop.catalog import RemoteDiscount, ShopDeps
from src.application.shop.deps import PurchaseDeps
from src.application.shop.payments import PaymentGateway
from src.application.wallet.deps import WalletConfig, WalletDeps
from src.application.wallet.handlers import credit_starting_balance
from src.application.wallet.ports import BalancesInUnitOfWork, WalletUnitOfWork
from src.domain.engagement.vip import shop_discount_percent
from src.entrypoints.bootstrap import configs
from src.entrypoints.bootstrap.infra import mailer
from src.entrypoints.settings import Settings


@dataclass(frozen=True)
class Shared:
    """What every context's wiring may use."""

    settings: Settings
    uow_factory: Callable[[], SqlaUnitOfWork]
    clock: Clock
    cache: Cache
    jobs: JobQueue
    after_commit: Callable[[], None] | None = None  # what a unit of work's commit that wrote events tells
    # units of work whose statements sent before anything begins go to the driver pool (PostgreSQL), not to a
    # connection of their session: for use cases made of such statements (a buy's reads, open and settlement)
    standalone_uow_factory: Callable[[], SqlaUnitOfWork] | None = None


@dataclass(frozen=True)
class WalletStartingBalance:
    """Identity's StartingBalance on the wallet: the sign-up's unit of work is this root's (every context's
    repositories), so the credit joins the sign-up's transaction and its answer shows the balance without waiting
    for the relay."""

    config: WalletConfig

    async def credit(self, uow: IdentityUnitOfWork, user_id: str, now: datetime) -> dict[str, int]:
        return await credit_starting_balance(cast("WalletUnitOfWork", uow), user_id, now, self.config)


def identity(shared: Shared, hasher: Argon2PasswordHasher, channel: InvalidationChannel | None) -> IdentityDeps:
    """`channel`: where revocations are announced, so each process may keep local copies of session states."""
    config = configs.identity_config(shared.settings)
    settings = shared.settings
    return IdentityDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        cache=shared.cache,
        hasher=hasher,
        tokens=PyJwtTokenService(
            settings.jwt_secret, settings.jwt_previous_secrets, access_ttl_seconds=config.access_ttl_seconds
        ),
        ids=SecretsIdGenerator(),
        blocklist=FilePasswordBlocklist(DEFAULT_BLOCKLIST_PATH),
        session_state=SessionStateCache(
            shared.cache,
            config.session_state_ttl_seconds,
            revoked_ttl_seconds=config.access_ttl_seconds + 60,
            channel=channel,
            local_ttl_seconds=config.session_state_local_ttl_seconds,
        ),
        config=config,
        starting_balance=WalletStartingBalance(configs.wallet_config(settings)),
        lookup_uow_factory=shared.standalone_uow_factory,
    )


def limits(shared: Shared) -> LimitsDeps:
    return LimitsDeps(uow_factory=shared.uow_factory, clock=shared.clock, ids=SecretsIdGenerator())


def wallet(shared: Shared, driver_pool: DriverPool | None) -> WalletDeps:
    """On PostgreSQL the wallet view reads on a driver connection of its own pool, without a session."""
    reads = PgBalanceReads(driver_pool) if driver_pool is not None else BalancesInUnitOfWork(shared.uow_factory)
    return WalletDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        config=configs.wallet_config(shared.settings),
        reads=reads,
    )


def games(shared: Shared, leaderboard: Leaderboard, driver_pool: DriverPool | None) -> GamesDeps:
    """On PostgreSQL a plain spin settles on driver connections of the standalone pool, without a unit of work."""
    at_once = PgPlaysAtOnce(driver_pool, shared.after_commit) if driver_pool is not None else None
    return GamesDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        vault=AesGcmSeedVault(shared.settings.fairness_seed_key),
        leaderboard=leaderboard,
        slot_max_bet=shared.settings.slot_max_bet,
        at_once=at_once,
    )


def engagement(shared: Shared) -> tuple[EngagementDeps, RewardDeps]:
    streaks = EngagementDeps(shared.uow_factory, shared.clock, ZoneInfo(shared.settings.streak_timezone))
    return streaks, RewardDeps(shared.uow_factory, shared.clock, SecretsIdGenerator())


def battlepass(shared: Shared) -> BattlePassDeps:
    batch = shared.settings.season_settlement_batch_size
    return BattlePassDeps(shared.uow_factory, shared.clock, SecretsIdGenerator(), settlement_batch_size=batch)


def seasons(shared: Shared) -> SeasonDeps:
    settings = shared.settings
    return SeasonDeps(
        shared.uow_factory,
        shared.clock,
        SecretsIdGenerator(),
        ZoneInfo(settings.streak_timezone),
        settlement_batch_size=settings.season_settlement_batch_size,
    )


def missions(shared: Shared) -> MissionDeps:
    """Missions reset on the streak's calendar: one timezone setting for every engagement boundary."""
    return MissionDeps(
        shared.uow_factory, shared.clock, ZoneInfo(shared.settings.streak_timezone), SecretsIdGenerator()
    )


def remote_discount(shared: Shared) -> RemoteDiscount:
    """The shop's view of remote config: `discount_percent` on the player's `featured_banner` item only (its one
    read stands alone)."""
    deps = liveops(replace(shared, uow_factory=shared.standalone_uow_factory or shared.uow_factory), None)

    async def discount(user_id: str) -> tuple[str, int] | None:
        params = effective(await player_config(user_id, deps))
        featured, percent = params["featured_banner"], params["discount_percent"]
        return None if featured is None or percent is None else (featured, percent)

    return discount


def shop(shared: Shared) -> ShopDeps:
    return ShopDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        member_discount=shop_discount_percent,
        remote_discount=remote_discount(shared),
    )


def purchases(shared: Shared, gateway: PaymentGateway) -> PurchaseDeps:
    """A buy's reads, open and settlement are statements that stand alone (on PostgreSQL)."""
    return PurchaseDeps(
        uow_factory=shared.standalone_uow_factory or shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        cache=shared.cache,
        gateway=gateway,
        jobs=shared.jobs,
        config=configs.purchase_config(shared.settings),
        member_discount=shop_discount_percent,
        remote_discount=remote_discount(shared),
    )


def notifications(shared: Shared, push: PushSender) -> NotificationDeps:
    return NotificationDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        cache=shared.cache,
        jobs=shared.jobs,
        push=push,
        mailer=mailer(shared.settings),
        config=configs.notification_config(shared.settings),
    )


def actions(shared: Shared) -> ActionDeps:
    settings = shared.settings
    config = ActionConfig(per_minute=settings.actions_per_minute, retention_days=settings.action_retention_days)
    return ActionDeps(uow_factory=shared.uow_factory, clock=shared.clock, cache=shared.cache, config=config)


def liveops(shared: Shared, olap: OlapStore | None) -> LiveOpsDeps:
    return LiveOpsDeps(
        shared.uow_factory,
        shared.clock,
        SecretsIdGenerator(),
        shared.jobs,
        olap,
        segment_chunk_size=shared.settings.segment_recompute_chunk_size,
    )


def privacy(shared: Shared, identity: IdentityDeps, leaderboard: Leaderboard, olap: OlapStore | None) -> PrivacyDeps:
    config = PrivacyConfig(export_ttl=timedelta(hours=shared.settings.privacy_export_ttl_hours))
    return PrivacyDeps(
        uow_factory=shared.uow_factory,
        clock=shared.clock,
        ids=SecretsIdGenerator(),
        jobs=shared.jobs,
        leaderboard=leaderboard,
        identity=identity,
        olap=olap,
        config=config,
    )


async def realtime(
    settings: Settings, redis: Redis | None, identity: IdentityDeps, stack: AsyncExitStack
) -> RealtimeHub:
    """Realtime fan-out on Redis streams (history included) when given a client, else in memory; the outbox relay
    feeds it wherever it runs (an app instance or the maintenance worker)."""
    config = configs.realtime_config(settings)
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
    return hub
