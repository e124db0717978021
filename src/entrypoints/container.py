"""What request handlers and jobs may depend on: ports and use-case dependencies, never adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from src.application.analytics.deps import ActionDeps
from src.application.analytics.export import OutboxExporter
from src.application.analytics.ports import OlapStore
from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.deps import EngagementDeps, MissionDeps, RewardDeps
from src.application.engagement.plays import PlaysDeps
from src.application.engagement.seasons import SeasonDeps
from src.application.engagement.vip import VipDeps
from src.application.games.boards import PlayScoreSource
from src.application.games.deps import GamesDeps
from src.application.identity.deps import IdentityDeps
from src.application.limits.controls import LimitsDeps
from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.recommendations import RecommendationDeps
from src.application.notifications.deps import NotificationDeps
from src.application.privacy.deps import PrivacyDeps
from src.application.realtime.hub import RealtimeHub
from src.application.shared.idempotency import IdempotencyPolicy, IdempotencyStore
from src.application.shared.jobs import JobQueue
from src.application.shared.outbox import OutboxRelay
from src.application.shared.ports import Cache, Clock, GaugeSource, HealthProbe, UnitOfWork
from src.application.shop.catalog import ShopDeps
from src.application.shop.deps import PurchaseDeps
from src.application.shop.payments import PaymentGateway
from src.application.social.deps import SocialDeps
from src.application.wallet.deps import WalletDeps
from src.application.wallet.ports import LedgerAuditor
from src.entrypoints.settings import Settings


@dataclass
class Container:
    """Built once per process by the composition root (`bootstrap.open_container`)."""

    settings: Settings
    clock: Clock
    cache: Cache
    uow_factory: Callable[[], UnitOfWork]
    identity: IdentityDeps
    limits: LimitsDeps
    wallet: WalletDeps
    games: GamesDeps
    social: SocialDeps
    engagement: EngagementDeps
    rewards: RewardDeps
    battlepass: BattlePassDeps
    seasons: SeasonDeps
    missions: MissionDeps
    plays: PlaysDeps  # the four counters of play as one consumer (events.py)
    shop: ShopDeps
    purchases: PurchaseDeps
    notifications: NotificationDeps
    actions: ActionDeps
    liveops: LiveOpsDeps
    privacy: PrivacyDeps
    jobs: JobQueue
    gateway: PaymentGateway
    relay: OutboxRelay
    realtime: RealtimeHub
    idempotency: IdempotencyStore
    idempotency_policy: IdempotencyPolicy
    ledger_auditor: LedgerAuditor
    play_scores: PlayScoreSource
    probes: list[HealthProbe] = field(default_factory=list)
    gauges: list[GaugeSource] = field(default_factory=list)  # sampled when /metrics is scraped
    olap: OlapStore | None = None  # the server's (KPI queries); workers and commands open none
    exporter: OutboxExporter | None = None  # outbox → Kafka, or → the OLAP store in process; None: nowhere to go

    def recommendations(self) -> RecommendationDeps:
        """Recommendations read the shop's catalog and limited packages, the missions and the limits by use case."""
        return RecommendationDeps(self.liveops, self.shop, self.purchases, self.missions, self.limits)

    def vip(self) -> VipDeps:
        """The VIP standing: the engagement context's units of work and clock, and the shop's and the games'
        summaries (spend and activity)."""
        return VipDeps(self.engagement.uow_factory, self.engagement.clock, self.purchases, self.games)
