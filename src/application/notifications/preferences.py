"""A player's notification settings: per-type switches, quiet hours in their timezone, push and email."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.notifications.deps import NotificationDeps
from src.domain.notifications.model import NotificationSettings, QuietHours, parse_clock


async def get_settings(user_id: str, deps: NotificationDeps) -> NotificationSettings:
    """Players who never saved settings get everything on, no quiet hours, UTC."""
    async with deps.uow_factory() as uow:
        return await uow.notification_settings.get(user_id) or NotificationSettings(user_id)


@dataclass(frozen=True)
class ChangeSettings:
    user_id: str
    types_enabled: dict[str, bool] | None = None  # the types given change; others keep their value
    dnd: tuple[str, str] | None = None
    clear_dnd: bool = False
    email: bool | None = None
    push: bool | None = None
    timezone: str | None = None


def _quiet_hours(cmd: ChangeSettings, current: QuietHours | None) -> QuietHours | None:
    if cmd.clear_dnd:
        return None
    if cmd.dnd is None:
        return current
    return QuietHours(parse_clock(cmd.dnd[0], "dnd.start"), parse_clock(cmd.dnd[1], "dnd.end"))


async def update_settings(cmd: ChangeSettings, deps: NotificationDeps) -> NotificationSettings:
    async with deps.uow_factory() as uow:
        current = await uow.notification_settings.get(cmd.user_id) or NotificationSettings(cmd.user_id)
        changed = NotificationSettings(
            user_id=cmd.user_id,
            types_enabled={**current.complete_types(), **(cmd.types_enabled or {})},
            dnd=_quiet_hours(cmd, current.dnd),
            email=current.email if cmd.email is None else cmd.email,
            push=current.push if cmd.push is None else cmd.push,
            timezone=cmd.timezone or current.timezone,
        )
        await uow.notification_settings.save(changed, deps.clock.now())
        await uow.commit()
    return changed
