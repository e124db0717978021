"""SQL inbox, notification settings and push subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.notifications import NotificationRow, NotificationSettingsRow, PushSubscriptionRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.notifications.ports import InboxFilter, PushSubscription
from src.application.shared.pagination import Page, Position
from src.domain.notifications.model import Notification, NotificationSettings, QuietHours, parse_clock

NOTIFICATIONS = cast(Table, NotificationRow.__table__)
SETTINGS = cast(Table, NotificationSettingsRow.__table__)
SUBSCRIPTIONS = cast(Table, PushSubscriptionRow.__table__)


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id,
        user_id=row.user_id,
        type=row.type,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        data=dict(row.data or {}),
        read_at=row.read_at,
    )


class SqlaNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add_many(self, notifications: Sequence[Notification]) -> None:
        rows = [
            {"id": n.id, "user_id": n.user_id, "type": n.type, "title": n.title, "body": n.body, "data": n.data,
             "created_at": n.created_at, "read_at": n.read_at}
            for n in notifications
        ]  # fmt: skip
        if rows:
            await self._db.execute(insert(NOTIFICATIONS), rows)

    async def add_new(self, notifications: Sequence[Notification]) -> set[str]:
        if not notifications:
            return set()
        rows = [
            {"id": n.id, "user_id": n.user_id, "type": n.type, "title": n.title, "body": n.body, "data": n.data,
             "created_at": n.created_at, "read_at": n.read_at}
            for n in notifications
        ]  # fmt: skip
        # a row another transaction stores meanwhile makes this one wait for it, then skip the id
        statement = dialect_insert(self._db)(NOTIFICATIONS).on_conflict_do_nothing(index_elements=["id"])
        return set((await self._db.execute(statement.returning(NOTIFICATIONS.c.id), rows)).scalars())

    async def get(self, notification_id: str) -> Notification | None:
        row = (await self._db.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id == notification_id))).first()
        return None if row is None else _notification(row)

    async def existing(self, notification_ids: Sequence[str]) -> set[str]:
        if not notification_ids:
            return set()
        statement = select(NOTIFICATIONS.c.id).where(NOTIFICATIONS.c.id.in_(list(notification_ids)))
        return set((await self._db.execute(statement)).scalars())

    async def list_for_user(
        self, user_id: str, filters: InboxFilter, limit: int, after: Position | None
    ) -> Page[Notification]:
        table = NOTIFICATIONS.c
        statement = select(NOTIFICATIONS).where(table.user_id == user_id)
        if filters.type is not None:
            statement = statement.where(table.type == filters.type)
        if filters.unread_only:
            statement = statement.where(table.read_at.is_(None))
        statement = after_position(statement, table.created_at, table.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).all()
        return to_page(rows, limit, _notification, lambda row: Position(row.created_at, row.id))

    async def unread_count(self, user_id: str) -> int:
        table = NOTIFICATIONS.c
        statement = select(func.count()).where(table.user_id == user_id, table.read_at.is_(None))
        return int((await self._db.execute(statement)).scalar_one())

    async def mark_read(self, user_id: str, notification_id: str, now: datetime) -> Notification | None:
        table = NOTIFICATIONS.c
        mine = (table.id == notification_id) & (table.user_id == user_id)
        await self._db.execute(update(NOTIFICATIONS).where(mine, table.read_at.is_(None)).values(read_at=now))
        row = (await self._db.execute(select(NOTIFICATIONS).where(mine))).first()
        return None if row is None else _notification(row)

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        table = NOTIFICATIONS.c
        statement = update(NOTIFICATIONS).where(table.user_id == user_id, table.read_at.is_(None)).values(read_at=now)
        result = await self._db.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        table = NOTIFICATIONS.c
        oldest = select(table.id).where(table.created_at < cutoff).order_by(table.created_at).limit(limit)
        result = await self._db.execute(delete(NOTIFICATIONS).where(table.id.in_(oldest.scalar_subquery())))
        return int(getattr(result, "rowcount", 0) or 0)


def _settings(row: Any) -> NotificationSettings:
    quiet = None
    if row.dnd_start is not None and row.dnd_end is not None:
        quiet = QuietHours(parse_clock(row.dnd_start, "dnd.start"), parse_clock(row.dnd_end, "dnd.end"))
    return NotificationSettings(
        user_id=row.user_id,
        types_enabled=dict(row.types_enabled or {}),
        dnd=quiet,
        email=row.email,
        push=row.push,
        timezone=row.timezone,
    )


class SqlaNotificationSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, user_id: str) -> NotificationSettings | None:
        row = (await self._db.execute(select(SETTINGS).where(SETTINGS.c.user_id == user_id))).first()
        return None if row is None else _settings(row)

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, NotificationSettings]:
        if not user_ids:
            return {}
        rows = await self._db.execute(select(SETTINGS).where(SETTINGS.c.user_id.in_(list(user_ids))))
        return {row.user_id: _settings(row) for row in rows}

    async def save(self, settings: NotificationSettings, now: datetime) -> None:
        quiet = settings.dnd
        values = {
            "types_enabled": settings.complete_types(),
            "dnd_start": None if quiet is None else quiet.start.strftime("%H:%M"),
            "dnd_end": None if quiet is None else quiet.end.strftime("%H:%M"),
            "email": settings.email,
            "push": settings.push,
            "timezone": settings.timezone,
            "updated_at": now,
        }
        statement = dialect_insert(self._db)(SETTINGS).values(user_id=settings.user_id, **values)
        await self._db.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


def _subscription(row: Any) -> PushSubscription:
    return PushSubscription(row.endpoint, row.user_id, row.p256dh, row.auth, row.created_at)


class SqlaPushSubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def upsert(self, subscription: PushSubscription) -> None:
        values = {"user_id": subscription.user_id, "p256dh": subscription.p256dh, "auth": subscription.auth,
                  "created_at": subscription.created_at}  # fmt: skip
        statement = dialect_insert(self._db)(SUBSCRIPTIONS).values(endpoint=subscription.endpoint, **values)
        await self._db.execute(statement.on_conflict_do_update(index_elements=["endpoint"], set_=values))

    async def get(self, endpoint: str) -> PushSubscription | None:
        row = (await self._db.execute(select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.endpoint == endpoint))).first()
        return None if row is None else _subscription(row)

    async def for_user(self, user_id: str) -> list[PushSubscription]:
        table = SUBSCRIPTIONS.c
        rows = await self._db.execute(select(SUBSCRIPTIONS).where(table.user_id == user_id).order_by(table.created_at))
        return [_subscription(row) for row in rows]

    async def for_users(self, user_ids: Sequence[str]) -> dict[str, list[PushSubscription]]:
        if not user_ids:
            return {}
        table = SUBSCRIPTIONS.c
        statement = select(SUBSCRIPTIONS).where(table.user_id.in_(list(user_ids))).order_by(table.created_at)
        found: dict[str, list[PushSubscription]] = {}
        for row in await self._db.execute(statement):
            found.setdefault(row.user_id, []).append(_subscription(row))
        return found

    async def delete(self, endpoint: str, user_id: str | None = None) -> bool:
        statement = delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.endpoint == endpoint)
        if user_id is not None:
            statement = statement.where(SUBSCRIPTIONS.c.user_id == user_id)
        result = await self._db.execute(statement)
        return bool(getattr(result, "rowcount", 0))
