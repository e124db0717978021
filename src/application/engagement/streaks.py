"""Daily streak use cases: status, tick (with its reward in the same transaction), protection, next reward.

The reward of a tick is credited through the wallet ledger referenced by (user, day), so even if two ticks
of one day got past the locked streak row, the ledger's unique reference would refuse the second grant. The
player's VIP tier scales it (its streak multiplier, read with the tick); the next reward shows it scaled too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from src.application.engagement.deps import EngagementDeps
from src.application.engagement.ports import EngagementUnitOfWork
from src.application.shared.idempotency import KeyRecorder
from src.application.wallet.ledger import Grant, credit
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.errors import NoStreakShield, StreakAlreadyTicked
from src.domain.engagement.events import StreakUpdated
from src.domain.engagement.streak import (
    ONE_DAY,
    Streak,
    StreakDay,
    StreakReward,
    current_count,
    days_marked,
    local_day,
    month_calendar,
    month_end,
    next_tick_count,
    parse_month,
    protect,
    protection_in_force,
    reset_day,
    reward_for,
    start_of,
    tick,
)
from src.domain.engagement.vip import boosted
from src.domain.wallet.errors import AlreadyApplied
from src.domain.wallet.model import Currency, Movement

SHIELD_ITEM_ID = "streak_shield"
REWARD_REASON = "streak_reward"
REWARD_REF_TYPE = "streak"
REWARD_SOURCE = "daily_streak"


@dataclass(frozen=True)
class StreakView:
    count: int
    best: int
    last_tick_date: date | None
    next_reset_at: datetime | None
    protected_until: date | None


@dataclass(frozen=True)
class TickResult:
    streak: StreakView
    reward: StreakReward
    balances: dict[str, int]  # balance after, for each currency granted


@dataclass(frozen=True)
class NextReward:
    count: int
    coins: int
    gems: int
    available_at: datetime


def _view(streak: Streak, today: date, deps: EngagementDeps) -> StreakView:
    reset = reset_day(streak, today)
    return StreakView(
        count=current_count(streak, today),
        best=streak.best,
        last_tick_date=streak.last_tick_date,
        next_reset_at=None if reset is None else start_of(reset, deps.timezone),
        protected_until=protection_in_force(streak, today),
    )


def _updated(streak: Streak, now: datetime, reason: str) -> StreakUpdated:
    last, until = streak.last_tick_date, streak.protected_until
    return StreakUpdated(
        aggregate_id=streak.user_id,
        occurred_at=now,
        count=streak.count,
        best=streak.best,
        last_tick_date=None if last is None else last.isoformat(),
        protected_until=None if until is None else until.isoformat(),
        reason=reason,
    )


def _today(deps: EngagementDeps) -> tuple[datetime, date]:
    now = deps.clock.now()
    return now, local_day(now, deps.timezone)


async def get_status(user_id: str, deps: EngagementDeps) -> StreakView:
    _, today = _today(deps)
    async with deps.uow_factory() as uow:
        streak = await uow.streaks.get(user_id)
    return _view(streak, today, deps)


def _reference(streak: Streak, day: date) -> str:
    return f"{streak.user_id}:{day.isoformat()}"


def vip_reward(count: int, vip_tier: int) -> StreakReward:
    """The reward of the tick that makes `count`, under the VIP tier's streak multiplier (rounded down)."""
    plain = reward_for(count)
    return StreakReward(boosted(plain.coins, vip_tier), boosted(plain.gems, vip_tier))


async def _vip_tier(uow: EngagementUnitOfWork, user_id: str) -> int:
    user = await uow.users.get(user_id)
    return 0 if user is None else user.vip_tier


async def _grant(
    uow: WalletUnitOfWork, streak: Streak, day: date, now: datetime, reward: StreakReward
) -> dict[str, int]:
    """One ledger row per currency of the day's reward, referenced by (user, day): never granted twice."""
    balances = {}
    for currency, amount in ((Currency.COINS, reward.coins), (Currency.GEMS, reward.gems)):
        if not amount:
            continue
        movement = Movement(streak.user_id, currency, amount, REWARD_REASON, REWARD_REF_TYPE, _reference(streak, day))
        try:
            entry = await credit(uow, movement, now, Grant(REWARD_SOURCE))
        except AlreadyApplied as exc:
            raise StreakAlreadyTicked from exc
        balances[currency.value] = entry.balance_after
    return balances


async def tick_streak(
    user_id: str, deps: EngagementDeps, recorder: KeyRecorder[TickResult] | None = None
) -> TickResult:
    """Today's tick and its reward, in one transaction with the `recorder`'s answer (the request's Idempotency-Key);
    ALREADY_CLAIMED (nothing granted) once a day."""
    now, today = _today(deps)
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        before = await uow.streaks.lock(user_id)
        streak = tick(before, today)
        await uow.streaks.save(streak)
        await uow.streak_days.mark(user_id, days_marked(before, streak, today))
        reward = vip_reward(streak.count, await _vip_tier(uow, user_id))
        balances = await _grant(uow, streak, today, now, reward)
        uow.record(_updated(streak, now, "tick"))
        ticked = TickResult(_view(streak, today, deps), reward, balances)
        if recorder is not None:
            await recorder.record(uow.idempotency_records, ticked)
        await uow.commit()
    return ticked


async def protect_streak(user_id: str, deps: EngagementDeps) -> StreakView:
    """Spend one streak shield to forgive one missed day up to tomorrow; the item and the protection go together."""
    now, today = _today(deps)
    async with deps.uow_factory() as uow:
        streak = protect(await uow.streaks.lock(user_id), today)  # ALREADY_APPLIED before any item is taken
        if not await uow.inventory.take(user_id, SHIELD_ITEM_ID):
            raise NoStreakShield
        await uow.streaks.save(streak)
        uow.record(_updated(streak, now, "protect"))
        await uow.commit()
    return _view(streak, today, deps)


async def get_next_reward(user_id: str, deps: EngagementDeps) -> NextReward:
    """What the next tick grants, and when: now if today is not ticked yet, else at the start of tomorrow."""
    now, today = _today(deps)
    async with deps.uow_factory() as uow:
        streak = await uow.streaks.get(user_id)
        vip_tier = await _vip_tier(uow, user_id)
    count = next_tick_count(streak, today)
    reward = vip_reward(count, vip_tier)
    available_at = start_of(today + ONE_DAY, deps.timezone) if streak.last_tick_date == today else now
    return NextReward(count, reward.coins, reward.gems, available_at)


async def streak_history(user_id: str, month: str | None, deps: EngagementDeps) -> list[StreakDay]:
    """The attendance calendar of a month (`YYYY-MM`, 400 otherwise; this month by default): every day of it
    with whether it was ticked and whether a protection forgave it."""
    _, today = _today(deps)
    first = today.replace(day=1) if month is None else parse_month(month)
    async with deps.uow_factory() as uow:
        marks = await uow.streak_days.between(user_id, first, month_end(first))
    return month_calendar(first, marks)
