"""The player's inbox: list with filters, unread count, read one or all; old notifications expire."""

from __future__ import annotations

from datetime import timedelta

from src.application.notifications.deps import NotificationDeps
from src.application.notifications.ports import InboxFilter
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.notifications.model import Notification
from src.domain.shared.errors import NotFound

PURGE_BATCH = 1000


async def list_inbox(
    user_id: str, filters: InboxFilter, limit: int | None, cursor: str | None, deps: NotificationDeps
) -> Page[Notification]:
    async with deps.uow_factory() as uow:
        return await uow.notifications.list_for_user(user_id, filters, check_limit(limit), decode_cursor(cursor))


async def unread_count(user_id: str, deps: NotificationDeps) -> int:
    async with deps.uow_factory() as uow:
        return await uow.notifications.unread_count(user_id)


async def mark_read(user_id: str, notification_id: str, deps: NotificationDeps) -> Notification:
    """Another player's notification is as unknown as a missing one (404)."""
    async with deps.uow_factory() as uow:
        notification = await uow.notifications.mark_read(user_id, notification_id, deps.clock.now())
        if notification is None:
            raise NotFound("no such notification")
        await uow.commit()
    return notification


async def mark_all_read(user_id: str, deps: NotificationDeps) -> int:
    async with deps.uow_factory() as uow:
        changed = await uow.notifications.mark_all_read(user_id, deps.clock.now())
        await uow.commit()
    return changed


async def purge_expired(deps: NotificationDeps) -> int:
    """Cron: notifications older than NOTIFICATION_RETENTION_DAYS go, in batches of short transactions."""
    cutoff = deps.clock.now() - timedelta(days=deps.config.retention_days)
    total = 0
    while True:
        async with deps.uow_factory() as uow:
            purged = await uow.notifications.purge_before(cutoff, PURGE_BATCH)
            await uow.commit()
        total += purged
        if purged < PURGE_BATCH:
            return total
