"""Action tracking: a player's reported actions are checked, stripped of personal keys, stored for `/recent`
and written to the outbox as ActionTracked in the same transaction, so they reach the OLAP store like any event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from src.application.analytics.deps import ActionDeps
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.analytics.actions import PlayerAction, check_action_type, clean_context
from src.domain.analytics.events import ActionTracked
from src.domain.shared.errors import RateLimited
from src.domain.shared.events import new_event_id

MAX_BULK = 500
RATE_WINDOW_SECONDS = 60
PURGE_BATCH = 5000


@dataclass(frozen=True)
class ReportedAction:
    """What the client sent for one action; `field` is how the client names it (`actions[3]` in a bulk)."""

    action_type: str
    context: dict[str, Any] | None = None
    client_ts: datetime | None = None
    field: str = ""


def _checked(reported: ReportedAction, user_id: str, deps: ActionDeps, now: datetime) -> PlayerAction:
    prefix = f"{reported.field}." if reported.field else ""
    return PlayerAction(
        action_id=new_event_id(),  # the action's id is its event's id in the OLAP store
        user_id=user_id,
        action_type=check_action_type(reported.action_type, f"{prefix}action_type"),
        context=clean_context(reported.context, f"{prefix}context"),
        client_ts=reported.client_ts,
        tracked_at=now,
    )


async def _spend_budget(user_id: str, count: int, deps: ActionDeps) -> None:
    """A fixed one-minute window of `per_minute` actions per player, shared by every instance (the cache)."""
    key = f"ratelimit:actions:{user_id}"
    used = await deps.cache.incr(key, count, ttl_seconds=RATE_WINDOW_SECONDS)
    if used > deps.config.per_minute:
        left = await deps.cache.ttl(key)
        raise RateLimited(math.ceil(left if left is not None else RATE_WINDOW_SECONDS))


def _event(action: PlayerAction) -> ActionTracked:
    return ActionTracked(
        event_id=action.action_id,
        aggregate_id=action.user_id,
        occurred_at=action.tracked_at,
        action_type=action.action_type,
        context=action.context,
        client_ts=None if action.client_ts is None else action.client_ts.isoformat(),
    )


async def track_actions(user_id: str, reported: Sequence[ReportedAction], deps: ActionDeps) -> list[PlayerAction]:
    """All or nothing: one bad action refuses the request (400 naming it) before any budget is spent."""
    now = deps.clock.now()
    actions = [_checked(item, user_id, deps, now) for item in reported]
    await _spend_budget(user_id, len(actions), deps)
    async with deps.uow_factory() as uow:
        await uow.actions.add_many(actions)
        for action in actions:
            uow.record(_event(action))
        await uow.commit()
    return actions


async def recent_actions(user_id: str, limit: int | None, cursor: str | None, deps: ActionDeps) -> Page[PlayerAction]:
    async with deps.uow_factory() as uow:
        return await uow.actions.recent(user_id, check_limit(limit), decode_cursor(cursor))


async def purge_old_actions(deps: ActionDeps) -> int:
    """Actions older than the retention leave the database (in batches); the OLAP store keeps its copy."""
    cutoff = deps.clock.now() - timedelta(days=deps.config.retention_days)
    total = 0
    while True:
        async with deps.uow_factory() as uow:
            deleted = await uow.actions.delete_before(cutoff, PURGE_BATCH)
            await uow.commit()
        total += deleted
        if deleted < PURGE_BATCH:
            return total
