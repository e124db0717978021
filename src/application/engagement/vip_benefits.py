"""VIP benefits a player asks for, and the tier history.

The daily bonus is one ledger credit referenced by (player, calendar day in the game's timezone): however many
claims race, the ledger's unique reference lets one through and the others answer ALREADY_CLAIMED. The amount
is the stored tier's (read in the claim's transaction); a tier without a bonus answers NOT_CLAIMABLE.

The history is written from AccountUpdated events (an admin's change or an automatic upgrade), one statement a
relay pass, kept once per event id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from src.application.engagement.deps import EngagementDeps
from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.wallet.ledger import Grant, credit
from src.domain.engagement.errors import DailyBonusClaimed, NoDailyBonus
from src.domain.engagement.streak import ONE_DAY, local_day, start_of
from src.domain.engagement.vip import VipTierChange, benefits_of
from src.domain.shared.errors import NotFound
from src.domain.wallet.errors import AlreadyApplied
from src.domain.wallet.model import Currency, Movement

BONUS_REASON = "vip_daily_bonus"
BONUS_REF_TYPE = "vip_bonus"
HISTORY_EVENTS = ("AccountUpdated",)


@dataclass(frozen=True)
class DailyBonus:
    tier: int
    coins: int
    day: date  # the calendar day it was claimed for
    balance_after: int
    next_available_at: datetime


async def claim_daily_bonus(user_id: str, deps: EngagementDeps) -> DailyBonus:
    """Today's bonus, once (409 ALREADY_CLAIMED after; 409 NOT_CLAIMABLE for a tier without one)."""
    now = deps.clock.now()
    today = local_day(now, deps.timezone)
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("no such user")
        coins = benefits_of(user.vip_tier).daily_bonus_coins
        if coins <= 0:
            raise NoDailyBonus
        movement = Movement(user_id, Currency.COINS, coins, BONUS_REASON, BONUS_REF_TYPE, f"{user_id}:{today}")
        try:
            entry = await credit(uow, movement, now, Grant(BONUS_REASON))
        except AlreadyApplied as exc:
            next_at = f"{_tomorrow(today, deps):%Y-%m-%dT%H:%M:%SZ}"
            raise DailyBonusClaimed(details={"next_available_at": next_at}) from exc
        await uow.commit()
    return DailyBonus(user.vip_tier, coins, today, entry.balance_after, _tomorrow(today, deps))


@dataclass(frozen=True)
class DailyBonusState:
    coins: int  # what the tier pays a day (0: none)
    claimed_today: bool
    available_at: datetime | None  # now if unclaimed, else the next day's start; None for a tier without a bonus


async def daily_bonus_state(user_id: str, deps: EngagementDeps) -> DailyBonusState:
    """Whether today's bonus is still to claim, and when the next one is."""
    now = deps.clock.now()
    today = local_day(now, deps.timezone)
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
        coins = 0 if user is None else benefits_of(user.vip_tier).daily_bonus_coins
        if coins <= 0:
            return DailyBonusState(0, False, None)
        movement = Movement(user_id, Currency.COINS, coins, BONUS_REASON, BONUS_REF_TYPE, f"{user_id}:{today}")
        claimed = await uow.wallets.entry_for(movement) is not None
    return DailyBonusState(coins, claimed, _tomorrow(today, deps) if claimed else now)


def _tomorrow(today: date, deps: EngagementDeps) -> datetime:
    return start_of(today + ONE_DAY, deps.timezone)


def tier_change(message: OutboxMessage) -> VipTierChange | None:
    """The change an AccountUpdated tells of, when it moved the VIP tier."""
    payload = message.payload
    if "vip_tier" not in payload.get("changed", ()):
        return None
    previous = payload.get("previous_vip_tier")
    return VipTierChange(
        user_id=message.aggregate_id,
        from_tier=None if previous is None else int(previous),
        to_tier=int(payload["vip_tier"]),
        reason=str(payload.get("source", "admin")),
        changed_at=message.created_at,
        event_id=message.event_id,
    )


async def record_tier_changes(messages: Sequence[OutboxMessage], deps: EngagementDeps) -> None:
    changes = [change for message in messages if (change := tier_change(message)) is not None]
    if not changes:
        return
    async with deps.uow_factory() as uow:
        await uow.vip_history.add(changes)
        await uow.commit()


async def vip_history(user_id: str, limit: int | None, cursor: str | None, deps: EngagementDeps) -> Page[VipTierChange]:
    """The caller's tier changes, newest first."""
    size, after = check_limit(limit), decode_cursor(cursor)
    async with deps.uow_factory() as uow:
        return await uow.vip_history.list_for(user_id, size, after)
