"""Unit of work over one AsyncSession: one transaction, rolled back unless committed.

Recorded domain events are inserted into the outbox inside the same transaction, just before commit.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from src.adapters.lazy import lazy_repository
from src.adapters.sqla.driver import StandalonePool, driver_execute, stand_alone_on
from src.adapters.sqla.models.outbox import OutboxRow
from src.adapters.sqla.pg_outbox import event_parameters, outbox_insert
from src.adapters.sqla.repositories.analytics import SqlaActionRepository
from src.adapters.sqla.repositories.battlepass import SqlaBattlePassRepository
from src.adapters.sqla.repositories.campaigns import SqlaAudienceRepository, SqlaCampaignRepository
from src.adapters.sqla.repositories.engagement import SqlaStreakRepository
from src.adapters.sqla.repositories.experiments import (
    SqlaAssignmentRepository,
    SqlaExperimentRepository,
    SqlaSegmentMembership,
)
from src.adapters.sqla.repositories.follows import SqlaFollowRepository
from src.adapters.sqla.repositories.games import (
    SqlaGameConfigRepository,
    SqlaInventoryRepository,
    SqlaPlayRepository,
    SqlaSeedRepository,
)
from src.adapters.sqla.repositories.idempotency import SqlaIdempotencyRecords
from src.adapters.sqla.repositories.identity import (
    SqlaExcludedIdentityRepository,
    SqlaInviteCodeRepository,
    SqlaUserRepository,
)
from src.adapters.sqla.repositories.inbox import SqlaInboxRepository
from src.adapters.sqla.repositories.limited import SqlaLimitedPackageRepository
from src.adapters.sqla.repositories.limits import SqlaLimitRepository, SqlaPlayTimeRepository
from src.adapters.sqla.repositories.missions import SqlaDefinitionRepository, SqlaProgressRepository
from src.adapters.sqla.repositories.notifications import (
    SqlaNotificationRepository,
    SqlaNotificationSettingsRepository,
    SqlaPushSubscriptionRepository,
)
from src.adapters.sqla.repositories.personal_data import SqlaPersonalData
from src.adapters.sqla.repositories.pg_experiments import PgAssignmentRepository, PgSegmentMembership
from src.adapters.sqla.repositories.pg_identity import PgSessionRepository, PgUserRepository
from src.adapters.sqla.repositories.pg_limits import PgLimitRepository
from src.adapters.sqla.repositories.pg_plays import PgGameConfigRepository, PgPlayRepository
from src.adapters.sqla.repositories.pg_shop import PgCatalogRepository, PgTransactionRepository
from src.adapters.sqla.repositories.pg_wallet import PgWalletRepository
from src.adapters.sqla.repositories.privacy_requests import SqlaPrivacyRequestRepository
from src.adapters.sqla.repositories.promos import SqlaPromoRepository
from src.adapters.sqla.repositories.rewards import SqlaRewardRepository
from src.adapters.sqla.repositories.seasons import SqlaSeasonBoardRepository
from src.adapters.sqla.repositories.segments import SqlaSegmentRepository
from src.adapters.sqla.repositories.sessions import SqlaAuditLogRepository, SqlaSessionRepository
from src.adapters.sqla.repositories.shop import SqlaCatalogRepository, SqlaTransactionRepository
from src.adapters.sqla.repositories.vip import (
    SqlaStreakDayRepository,
    SqlaVipHistoryRepository,
    SqlaVipProgressRepository,
)
from src.adapters.sqla.repositories.wallet import SqlaWalletRepository
from src.adapters.sqla.repositories.webhooks import SqlaWebhookLog
from src.domain.shared.events import DomainEvent

OUTBOX_TABLE = cast(Table, OutboxRow.__table__)
RepositoryT = TypeVar("RepositoryT")


def outbox_values(event: DomainEvent) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "payload": event.payload(),
        "created_at": event.occurred_at,
    }


def _end_session(session: Session) -> None:
    """What the block's end does to a session still in a transaction: roll it back (nothing uncommitted is kept,
    its objects are expired), then close it (objects detached, the connection back to the pool, clean)."""
    try:
        session.rollback()
    finally:
        session.close()


def _sqla(repository: Callable[[AsyncSession], RepositoryT]) -> lazy_repository[RepositoryT]:
    return lazy_repository(lambda uow: repository(uow.session))


class SqlaUnitOfWork:
    """Repositories are built on first use within a block, over the block's session."""

    users = lazy_repository(lambda uow: (PgUserRepository if uow.on_postgres else SqlaUserRepository)(uow.session))
    invites = _sqla(SqlaInviteCodeRepository)
    excluded_identities = _sqla(SqlaExcludedIdentityRepository)
    sessions = lazy_repository(
        lambda uow: (PgSessionRepository if uow.on_postgres else SqlaSessionRepository)(uow.session)
    )
    audit = _sqla(SqlaAuditLogRepository)
    wallets = lazy_repository(
        lambda uow: (PgWalletRepository if uow.on_postgres else SqlaWalletRepository)(uow.session)
    )
    inbox = _sqla(SqlaInboxRepository)
    game_configs = lazy_repository(
        lambda uow: (PgGameConfigRepository if uow.on_postgres else SqlaGameConfigRepository)(uow.session)
    )
    plays = lazy_repository(
        lambda uow: (PgPlayRepository if uow.on_postgres else SqlaPlayRepository)(uow.session, uow.wallets)
    )
    inventory = _sqla(SqlaInventoryRepository)
    limits = lazy_repository(lambda uow: (PgLimitRepository if uow.on_postgres else SqlaLimitRepository)(uow.session))
    play_time = _sqla(SqlaPlayTimeRepository)
    seeds = _sqla(SqlaSeedRepository)
    follows = _sqla(SqlaFollowRepository)
    catalog = lazy_repository(
        lambda uow: (PgCatalogRepository if uow.on_postgres else SqlaCatalogRepository)(uow.session)
    )
    transactions = lazy_repository(
        lambda uow: (
            PgTransactionRepository(uow.session, uow.wallets, uow.wrote_events, uow._after_commit)
            if uow.on_postgres
            else SqlaTransactionRepository(uow.session, uow.wallets)
        )
    )
    promos = _sqla(SqlaPromoRepository)
    limited = _sqla(SqlaLimitedPackageRepository)
    webhooks = _sqla(SqlaWebhookLog)
    notifications = _sqla(SqlaNotificationRepository)
    notification_settings = _sqla(SqlaNotificationSettingsRepository)
    push_subscriptions = _sqla(SqlaPushSubscriptionRepository)
    campaigns = _sqla(SqlaCampaignRepository)
    audience = _sqla(SqlaAudienceRepository)
    streaks = _sqla(SqlaStreakRepository)
    rewards = _sqla(SqlaRewardRepository)
    actions = _sqla(SqlaActionRepository)
    streak_days = _sqla(SqlaStreakDayRepository)
    vip_progress = _sqla(SqlaVipProgressRepository)
    vip_history = _sqla(SqlaVipHistoryRepository)
    battlepass = _sqla(SqlaBattlePassRepository)
    season_boards = _sqla(SqlaSeasonBoardRepository)
    definitions = _sqla(SqlaDefinitionRepository)
    progress = _sqla(SqlaProgressRepository)
    privacy_requests = _sqla(SqlaPrivacyRequestRepository)
    personal_data = _sqla(SqlaPersonalData)
    experiments = _sqla(SqlaExperimentRepository)
    assignments = lazy_repository(
        lambda uow: (PgAssignmentRepository if uow.on_postgres else SqlaAssignmentRepository)(uow.session)
    )
    segment_members = lazy_repository(
        lambda uow: (PgSegmentMembership if uow.on_postgres else SqlaSegmentMembership)(uow.session)
    )
    segments = _sqla(SqlaSegmentRepository)
    idempotency_records = lazy_repository(lambda uow: SqlaIdempotencyRecords(uow.session, uow.take_events))

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        after_commit: Callable[[], None] | None = None,
        standalone: StandalonePool | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._after_commit = after_commit
        self._standalone = standalone  # where statements that stand alone go (`driver.stand_alone_on`)
        self._session: AsyncSession | None = None
        self._events: list[DomainEvent] = []
        self._events_written = False
        self._repositories: dict[str, Any] = {}

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._session

    @property
    def on_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        if self._standalone is not None:
            stand_alone_on(self._session, self._standalone)
        self._events = []
        self._events_written = False
        self._repositories = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._events = []
        self._repositories = {}
        if session is None:
            return
        if not session.in_transaction():
            # nothing begun (never used, or committed): rollback has nothing to do and close only empties the
            # identity map, no I/O, so no greenlet either
            session.sync_session.close()
            return
        # rollback then close in one greenlet (AsyncSession's own rollback and close spawn one each)
        await greenlet_spawn(_end_session, session.sync_session)

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def wrote_events(self) -> None:
        """A repository's statement wrote events to the outbox itself (`pg_outbox.outbox_cte`): the commit wakes the
        relay as it does for recorded ones."""
        self._events_written = True

    def take_events(self) -> list[DomainEvent]:
        """The events recorded so far, for a repository's statement that writes them to the outbox itself (then
        not written again at the commit)."""
        events, self._events = self._events, []
        if events:
            self.wrote_events()
        return events

    async def commit(self) -> None:
        events, self._events = self._events, []
        written, self._events_written = self._events_written, False
        if events:
            await self._write_outbox(events)
        if self.session.in_transaction():  # else nothing was begun (statements that stood alone): nothing to commit
            await self.session.commit()
        if (events or written) and self._after_commit is not None:
            self._after_commit()

    async def _write_outbox(self, events: list[DomainEvent]) -> None:
        """Core insert (cheap) everywhere; on PostgreSQL one driver-level multi-row INSERT (cheaper still)."""
        if not self.on_postgres:
            await self.session.execute(insert(OUTBOX_TABLE), [outbox_values(event) for event in events])
            return
        await driver_execute(self.session, outbox_insert(len(events)), *event_parameters(events))

    async def rollback(self) -> None:
        self._events = []
        await self.session.rollback()
