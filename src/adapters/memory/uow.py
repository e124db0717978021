"""In-memory unit of work: changes staged in the block become visible only on commit.

Several units of work may share one `InMemoryStore` (one process, asyncio). Each works on its own copy of a
table group, taken when the transaction first touches it; `commit` publishes the rows it added or changed (last
commit wins per row, except rows taken with a row lock, which queue as in SQL) and appends the recorded events
to `store.outbox`. Follows are the exception: the follow repository keeps its own rows, so they apply at once
and a rollback does not undo them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from src.adapters.lazy import lazy_repository
from src.adapters.memory.analytics import AnalyticsTables, InMemoryActionRepository
from src.adapters.memory.battlepass import BattlePassTables, InMemoryBattlePassRepository
from src.adapters.memory.engagement import (
    EngagementTables,
    InMemoryStreakDayRepository,
    InMemoryStreakRepository,
    InMemoryVipHistoryRepository,
    InMemoryVipProgressRepository,
)
from src.adapters.memory.experiments import (
    ExperimentTables,
    InMemoryAssignmentRepository,
    InMemoryExperimentRepository,
    InMemorySegmentMembership,
)
from src.adapters.memory.follows import InMemoryFollowRepository
from src.adapters.memory.games import (
    GamesTables,
    InMemoryGameConfigRepository,
    InMemoryInventoryRepository,
    InMemoryPlayRepository,
    InMemorySeedRepository,
)
from src.adapters.memory.idempotency import IdempotencyTables, InMemoryIdempotencyRecords
from src.adapters.memory.identity import (
    IdentityTables,
    InMemoryAuditLogRepository,
    InMemoryExcludedIdentityRepository,
    InMemoryInviteCodeRepository,
    InMemorySessionRepository,
    InMemoryUserRepository,
    RowLocks,
    Workspace,
)
from src.adapters.memory.limited import InMemoryLimitedPackageRepository, LimitedTables
from src.adapters.memory.limits import InMemoryLimitRepository, InMemoryPlayTimeRepository, LimitTables
from src.adapters.memory.missions import InMemoryDefinitionRepository, InMemoryProgressRepository
from src.adapters.memory.notifications import (
    InMemoryAudienceRepository,
    InMemoryCampaignRepository,
    InMemoryNotificationRepository,
    InMemoryNotificationSettingsRepository,
    InMemoryPushSubscriptionRepository,
    NotificationTables,
)
from src.adapters.memory.promos import InMemoryPromoRepository, PromoTables
from src.adapters.memory.rewards import InMemoryRewardRepository
from src.adapters.memory.seasons import InMemorySeasonBoardRepository, SeasonTables
from src.adapters.memory.shop import InMemoryCatalogRepository, InMemoryTransactionRepository, ShopTables
from src.adapters.memory.wallet import InMemoryInboxRepository, InMemoryWalletRepository, WalletTables
from src.adapters.memory.webhooks import InMemoryWebhookLog, WebhookTables
from src.domain.shared.events import DomainEvent

RepositoryT = TypeVar("RepositoryT")


class InMemoryStore:
    """The committed state every unit of work over it shares: tables, the outbox and the row locks."""

    def __init__(self) -> None:
        self.tables = IdentityTables()
        self.wallet_tables = WalletTables()
        self.games_tables = GamesTables()
        self.shop_tables = ShopTables()
        self.promo_tables = PromoTables()
        self.limited_tables = LimitedTables()
        self.limit_tables = LimitTables()
        self.webhook_tables = WebhookTables()
        self.notification_tables = NotificationTables()
        self.engagement_tables = EngagementTables()
        self.battlepass_tables = BattlePassTables()
        self.season_tables = SeasonTables()
        self.analytics_tables = AnalyticsTables()
        self.experiment_tables = ExperimentTables()
        self.idempotency_tables = IdempotencyTables()
        self.outbox: list[DomainEvent] = []  # an event's position is its index + 1
        self.published: dict[int, datetime] = {}  # outbox position → when the relay published it
        self.exported: dict[int, datetime] = {}  # outbox position → when the analytics exporter exported it
        # taken by commit, rollback and the two atomic writes (invite consume, refresh spend)
        self.lock = asyncio.Lock()
        self.row_locks = RowLocks()
        self.next_ledger_id = itertools.count(1).__next__
        self.follows = InMemoryFollowRepository(self._nickname_of)

    def _nickname_of(self, user_id: str) -> str | None:
        user = self.tables.users.get(user_id)
        return None if user is None or user.deleted_at is not None else user.nickname


_TABLES = {
    "identity": "tables",
    "wallet": "wallet_tables",
    "games": "games_tables",
    "shop": "shop_tables",
    "webhooks": "webhook_tables",
    "promos": "promo_tables",
    "limited": "limited_tables",
    "limits": "limit_tables",
    "notifications": "notification_tables",
    "engagement": "engagement_tables",
    "battlepass": "battlepass_tables",
    "seasons": "season_tables",
    "analytics": "analytics_tables",
    "experiments": "experiment_tables",
    "idempotency": "idempotency_tables",
}


def _over(tables: str, repository: Callable[[Workspace[Any]], RepositoryT]) -> lazy_repository[RepositoryT]:
    return lazy_repository(lambda uow: repository(uow.workspace(tables)))


class InMemoryUnitOfWork:
    """A table group's working copy is taken when the transaction first touches it, as are the repositories."""

    users = _over("identity", InMemoryUserRepository)
    invites = _over("identity", InMemoryInviteCodeRepository)
    excluded_identities = _over("identity", InMemoryExcludedIdentityRepository)
    sessions = _over("identity", InMemorySessionRepository)
    audit = _over("identity", InMemoryAuditLogRepository)
    audience = _over("identity", InMemoryAudienceRepository)
    wallets = lazy_repository(lambda uow: InMemoryWalletRepository(uow.workspace("wallet"), uow.store.next_ledger_id))
    inbox = _over("wallet", InMemoryInboxRepository)
    game_configs = _over("games", InMemoryGameConfigRepository)
    plays = lazy_repository(
        lambda uow: InMemoryPlayRepository(uow.workspace("games"), uow.wallets, uow.limits, uow.play_time)
    )
    inventory = _over("games", InMemoryInventoryRepository)
    limits = _over("limits", InMemoryLimitRepository)
    play_time = lazy_repository(
        lambda uow: InMemoryPlayTimeRepository(uow.workspace("limits"), uow.workspace("games"), uow.workspace("shop"))
    )
    seeds = _over("games", InMemorySeedRepository)
    follows = lazy_repository(lambda uow: uow.store.follows)
    catalog = _over("shop", InMemoryCatalogRepository)
    transactions = lazy_repository(lambda uow: InMemoryTransactionRepository(uow.workspace("shop"), uow.wallets))
    promos = _over("promos", InMemoryPromoRepository)
    limited = _over("limited", InMemoryLimitedPackageRepository)
    webhooks = _over("webhooks", InMemoryWebhookLog)
    notifications = _over("notifications", InMemoryNotificationRepository)
    notification_settings = _over("notifications", InMemoryNotificationSettingsRepository)
    push_subscriptions = _over("notifications", InMemoryPushSubscriptionRepository)
    campaigns = _over("notifications", InMemoryCampaignRepository)
    streaks = _over("engagement", InMemoryStreakRepository)
    rewards = _over("engagement", InMemoryRewardRepository)
    battlepass = _over("battlepass", InMemoryBattlePassRepository)
    season_boards = _over("seasons", InMemorySeasonBoardRepository)
    actions = _over("analytics", InMemoryActionRepository)
    streak_days = _over("engagement", InMemoryStreakDayRepository)
    vip_progress = _over("engagement", InMemoryVipProgressRepository)
    vip_history = _over("engagement", InMemoryVipHistoryRepository)
    definitions = _over("engagement", InMemoryDefinitionRepository)
    progress = _over("engagement", InMemoryProgressRepository)
    experiments = _over("experiments", InMemoryExperimentRepository)
    assignments = _over("experiments", InMemoryAssignmentRepository)
    segment_members = lazy_repository(lambda uow: InMemorySegmentMembership())
    idempotency_records = _over("idempotency", InMemoryIdempotencyRecords)

    def __init__(self, store: InMemoryStore, after_commit: Callable[[], None] | None = None) -> None:
        self.store = store
        self._after_commit = after_commit
        self._active = False
        self._workspaces: dict[str, Workspace[Any]] = {}
        self._repositories: dict[str, Any] = {}
        self._events: list[DomainEvent] = []

    def workspace(self, tables: str) -> Workspace[Any]:
        if not self._active:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        if tables not in self._workspaces:
            store = self.store
            self._workspaces[tables] = Workspace(getattr(store, _TABLES[tables]), store.lock, store.row_locks)
        return self._workspaces[tables]

    def _begin(self) -> None:
        self._workspaces, self._repositories = {}, {}

    def _end(self) -> list[Workspace[Any]]:
        """The transaction's working copies, each to publish or discard; the next use starts a new transaction."""
        if not self._active:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        workspaces = list(self._workspaces.values())
        self._begin()
        return workspaces

    async def __aenter__(self) -> Self:
        self._events = []
        self._begin()
        self._active = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        workspaces = list(self._workspaces.values())
        self._begin()
        self._active = False
        self._events = []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.discard()

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        workspaces = self._end()
        events, self._events = self._events, []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.publish()
            self.store.outbox.extend(events)
        if events and self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        workspaces = self._end()
        self._events = []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.discard()
