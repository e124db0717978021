"""Responsible gaming: the limits a player sets, time-outs and self-exclusion (audit-logged, never lifted early).

The shop checks purchases against the limits and the games refuse plays while a restriction lasts, each in the
transaction that records the purchase or the play, with the player's limits row locked (see shop/purchases and
games/plays).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from src.application.limits.ports import HasLimits, HasPlayTime
from src.application.shared.audit import Audited, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.ports import Clock, IdGenerator, UnitOfWork
from src.domain.limits.model import (
    DAYS_PER_MONTH,
    EXCLUSION_MONTHS,
    FIELDS,
    TIME_OUTS,
    PlayerLimits,
    Restriction,
    RestrictionKind,
    check_restriction,
)
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Principal

MAX_CENTS = 100_000_000  # $1,000,000: a purchase limit above it is no limit worth storing
MAX_MINUTES = 24 * 60
MINUTE_FIELDS = {"play_minutes_daily", "reality_check_minutes"}


class LimitsUnitOfWork(UnitOfWork, HasLimits, HasPlayTime, Audited, Protocol):
    """Limits, the play time they count and the audit log of the player's own restrictions."""


LimitsFactory = Callable[[], LimitsUnitOfWork]


async def refuse_if_restricted(uow: HasLimits, user_id: str, now: datetime) -> None:
    """403 TIMED_OUT / SELF_EXCLUDED (details: until) while the player's restriction lasts, as last committed: for
    a spend of gems or coins in the caller's transaction (real-money buys check it with the limits locked)."""
    check_restriction((await uow.limits.get(user_id)).restriction, now)


@dataclass(frozen=True)
class LimitsDeps:
    uow_factory: LimitsFactory
    clock: Clock
    ids: IdGenerator


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})


def check_changes(changes: dict[str, int | None]) -> dict[str, int | None]:
    for name, value in changes.items():
        if name not in FIELDS:
            raise _invalid(name, f"{name} is not a limit")
        ceiling = MAX_MINUTES if name in MINUTE_FIELDS else MAX_CENTS
        if value is not None and not 1 <= value <= ceiling:
            raise _invalid(name, f"{name} must be between 1 and {ceiling}, or null for no limit")
    return changes


async def get_limits(user_id: str, deps: LimitsDeps) -> PlayerLimits:
    async with deps.uow_factory() as uow:
        return (await uow.limits.get(user_id)).settled(deps.clock.now())


async def play_minutes_today(user_id: str, deps: LimitsDeps) -> int:
    """Whole minutes of active play today (UTC), as the daily play-time limit counts them."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        return (await uow.play_time.get(user_id)).active_today(now) // 60


async def set_limits(user_id: str, changes: dict[str, int | None], deps: LimitsDeps) -> PlayerLimits:
    """Lower (or new) limits at once; higher ones and removals after the 24-hour cooling-off."""
    check_changes(changes)
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        limits = await uow.limits.lock(user_id)
        limits.request(changes, now)
        await uow.limits.save(limits)
        await uow.commit()
    return limits


@dataclass(frozen=True)
class Restrict:
    player: Principal
    client: ClientInfo
    kind: RestrictionKind
    length: timedelta


def time_out(player: Principal, client: ClientInfo, duration: str) -> Restrict:
    if duration not in TIME_OUTS:
        raise _invalid("duration", f"duration must be one of {', '.join(TIME_OUTS)}")
    return Restrict(player, client, RestrictionKind.TIME_OUT, TIME_OUTS[duration])


def self_exclusion(player: Principal, client: ClientInfo, months: int) -> Restrict:
    if months not in EXCLUSION_MONTHS:
        raise _invalid("months", f"months must be one of {', '.join(map(str, EXCLUSION_MONTHS))}")
    return Restrict(player, client, RestrictionKind.SELF_EXCLUSION, timedelta(days=DAYS_PER_MONTH * months))


async def restrict(cmd: Restrict, deps: LimitsDeps) -> Restriction:
    """At once and for the whole length; a restriction already in force that ends later stays as it is."""
    now, user_id = deps.clock.now(), cmd.player.user_id
    async with deps.uow_factory() as uow:
        limits = await uow.limits.lock(user_id)
        limits.restrict(cmd.kind, now + cmd.length, now)
        await uow.limits.save(limits)
        restriction = limits.active_restriction(now)
        assert restriction is not None
        payload = {"requested": cmd.kind.value, "until": restriction.until.isoformat(), "kind": restriction.kind.value}
        action = AdminAction(cmd.player, cmd.client, f"limits.{cmd.kind.value}", "user", user_id, payload)
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return restriction
