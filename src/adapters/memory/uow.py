"""In-memory unit of work: changes staged in the block become visible only on commit.

Several units of work may share one `InMemoryStore` (one process, asyncio). Each works on its own copy
taken on entry; `commit` publishes the rows it added or changed (last commit wins per row, except rows
taken with a row lock, which queue as in SQL) and appends the recorded events to `store.outbox`.
Follows are the exception: the follow repository keeps its own rows, so they apply at once and a
rollback does not undo them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from src.adapters.memory.engagement import EngagementTables, InMemoryStreakRepository
from src.adapters.memory.follows import InMemoryFollowRepository
from src.adapters.memory.games import (
    GamesTables,
    InMemoryGameConfigRepository,
    InMemoryInventoryRepository,
    InMemoryPlayRepository,
)
from src.adapters.memory.identity import (
    IdentityTables,
    InMemoryAuditLogRepository,
    InMemoryInviteCodeRepository,
    InMemorySessionRepository,
    InMemoryUserRepository,
    RowLocks,
    Workspace,
)
from src.adapters.memory.limited import InMemoryLimitedPackageRepository, LimitedTables
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
from src.adapters.memory.shop import InMemoryCatalogRepository, InMemoryTransactionRepository, ShopTables
from src.adapters.memory.wallet import InMemoryInboxRepository, InMemoryWalletRepository, WalletTables
from src.adapters.memory.webhooks import InMemoryWebhookLog, WebhookTables
from src.domain.shared.events import DomainEvent


class InMemoryStore:
    """The committed state every unit of work over it shares: tables, the outbox and the row locks."""

    def __init__(self) -> None:
        self.tables = IdentityTables()
        self.wallet_tables = WalletTables()
        self.games_tables = GamesTables()
        self.shop_tables = ShopTables()
        self.promo_tables = PromoTables()
        self.limited_tables = LimitedTables()
        self.webhook_tables = WebhookTables()
        self.notification_tables = NotificationTables()
        self.engagement_tables = EngagementTables()
        self.outbox: list[DomainEvent] = []  # an event's position is its index + 1
        self.published: dict[int, datetime] = {}  # outbox position → when the relay published it
        # taken by commit, rollback and the two atomic writes (invite consume, refresh spend)
        self.lock = asyncio.Lock()
        self.row_locks = RowLocks()
        self.next_ledger_id = itertools.count(1).__next__
        self.follows = InMemoryFollowRepository(self._nickname_of)

    def _nickname_of(self, user_id: str) -> str | None:
        user = self.tables.users.get(user_id)
        return None if user is None or user.deleted_at is not None else user.nickname


class InMemoryUnitOfWork:
    users: InMemoryUserRepository
    invites: InMemoryInviteCodeRepository
    sessions: InMemorySessionRepository
    audit: InMemoryAuditLogRepository
    wallets: InMemoryWalletRepository
    inbox: InMemoryInboxRepository
    game_configs: InMemoryGameConfigRepository
    plays: InMemoryPlayRepository
    inventory: InMemoryInventoryRepository
    follows: InMemoryFollowRepository
    catalog: InMemoryCatalogRepository
    transactions: InMemoryTransactionRepository
    promos: InMemoryPromoRepository
    limited: InMemoryLimitedPackageRepository
    webhooks: InMemoryWebhookLog
    notifications: InMemoryNotificationRepository
    notification_settings: InMemoryNotificationSettingsRepository
    push_subscriptions: InMemoryPushSubscriptionRepository
    campaigns: InMemoryCampaignRepository
    audience: InMemoryAudienceRepository
    streaks: InMemoryStreakRepository
    rewards: InMemoryRewardRepository

    def __init__(self, store: InMemoryStore, after_commit: Callable[[], None] | None = None) -> None:
        self.store = store
        self._after_commit = after_commit
        self._workspaces: tuple[Workspace[Any], ...] = ()
        self._events: list[DomainEvent] = []

    def _begin(self) -> None:
        store = self.store
        identity = Workspace(store.tables, store.lock, store.row_locks)
        wallet = Workspace(store.wallet_tables, store.lock, store.row_locks)
        games = Workspace(store.games_tables, store.lock, store.row_locks)
        shop = Workspace(store.shop_tables, store.lock, store.row_locks)
        webhooks = Workspace(store.webhook_tables, store.lock, store.row_locks)
        promos = Workspace(store.promo_tables, store.lock, store.row_locks)
        limited = Workspace(store.limited_tables, store.lock, store.row_locks)
        notifications = Workspace(store.notification_tables, store.lock, store.row_locks)
        engagement = Workspace(store.engagement_tables, store.lock, store.row_locks)
        self._workspaces = (identity, wallet, games, shop, webhooks, promos, limited, notifications, engagement)
        self.users = InMemoryUserRepository(identity)
        self.invites = InMemoryInviteCodeRepository(identity)
        self.sessions = InMemorySessionRepository(identity)
        self.audit = InMemoryAuditLogRepository(identity)
        self.wallets = InMemoryWalletRepository(wallet, store.next_ledger_id)
        self.inbox = InMemoryInboxRepository(wallet)
        self.game_configs = InMemoryGameConfigRepository(games)
        self.plays = InMemoryPlayRepository(games, self.wallets)
        self.inventory = InMemoryInventoryRepository(games)
        self.follows = store.follows
        self.catalog = InMemoryCatalogRepository(shop)
        self.transactions = InMemoryTransactionRepository(shop)
        self.promos = InMemoryPromoRepository(promos)
        self.limited = InMemoryLimitedPackageRepository(limited)
        self.webhooks = InMemoryWebhookLog(webhooks)
        self.notifications = InMemoryNotificationRepository(notifications)
        self.notification_settings = InMemoryNotificationSettingsRepository(notifications)
        self.push_subscriptions = InMemoryPushSubscriptionRepository(notifications)
        self.campaigns = InMemoryCampaignRepository(notifications)
        self.audience = InMemoryAudienceRepository(identity)
        self.streaks = InMemoryStreakRepository(engagement)
        self.rewards = InMemoryRewardRepository(engagement)

    @property
    def workspaces(self) -> tuple[Workspace[Any], ...]:
        if not self._workspaces:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._workspaces

    async def __aenter__(self) -> Self:
        self._events = []
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        workspaces, self._workspaces = self._workspaces, ()
        self._events = []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.discard()

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        workspaces = self.workspaces
        events, self._events = self._events, []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.publish()
            self.store.outbox.extend(events)
        self._begin()
        if events and self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        workspaces = self.workspaces
        self._events = []
        async with self.store.lock:
            for workspace in workspaces:
                workspace.discard()
        self._begin()
