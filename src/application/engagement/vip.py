"""VIP use cases: the tier table, the caller's standing, and automatic upgrades from purchases and plays.

Spend is the shop's spending summary (captured purchases net of refunds) and activity the games' play summary
(slot spins plus gacha items pulled), both read through those contexts' handlers. Upgrades run as one outbox
consumer of a relay pass's captured purchases and plays, grouped by player, so each player's earned tier is
recomputed once a pass however many spins they made. A higher earned tier is stored with the conditional
`raise_vip_tier` (concurrent upgrades and an admin's higher tier are never lowered) together with
AccountUpdated, which reaches the player as profile_update; a tier is never lowered automatically. Recomputing
again changes nothing, so redelivered events need no inbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from src.application.games.deps import GamesDeps
from src.application.games.history import player_summary
from src.application.identity.ports import HasUsers
from src.application.shared.outbox import OutboxMessage
from src.application.shared.ports import Clock, UnitOfWork
from src.application.shop.deps import PurchaseDeps
from src.application.shop.receipts import my_spending
from src.domain.engagement.vip import TIERS, VipStanding, VipTier, activity_points, earned_tier, standing
from src.domain.identity.events import AccountUpdated
from src.domain.shared.errors import NotFound

UPGRADE_EVENTS = ("PurchaseUpdated", "SpinSettled", "GachaPulled")
CAPTURED = "captured"


class VipUnitOfWork(UnitOfWork, HasUsers, Protocol):
    """The tier is stored on the user."""


@dataclass(frozen=True)
class VipDeps:
    uow_factory: Callable[[], VipUnitOfWork]
    clock: Clock
    purchases: PurchaseDeps
    games: GamesDeps


def vip_tiers() -> tuple[VipTier, ...]:
    return TIERS


async def _progress(user_id: str, deps: VipDeps) -> tuple[int, int]:
    """(spent cents, activity points) as the shop and the games report them now."""
    spending = await my_spending(user_id, deps.purchases)
    plays = await player_summary(user_id, deps.games)
    return spending.total_spent_cents, activity_points(plays.total_spins, plays.gacha_pulls)


async def vip_status(user_id: str, deps: VipDeps) -> VipStanding:
    """The stored tier (an admin may have set it above the earned one) and the way to the next."""
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("no such user")
    spent, points = await _progress(user_id, deps)
    return standing(user.vip_tier, spent, points)


async def upgrade_tier(user_id: str, deps: VipDeps) -> bool:
    """Raise the stored tier to the earned one when that is higher, with AccountUpdated; True if raised."""
    earned = earned_tier(*await _progress(user_id, deps))
    if earned.tier == 0:
        return False
    async with deps.uow_factory() as uow:
        if not await uow.users.raise_vip_tier(user_id, earned.tier):
            return False
        user = await uow.users.get(user_id)
        if user is None:
            return False
        uow.record(
            AccountUpdated(
                aggregate_id=user.id,
                occurred_at=deps.clock.now(),
                rank=user.rank.value,
                vip_tier=user.vip_tier,
                status=user.status.value,
                changed=["vip_tier"],
            )
        )
        await uow.commit()
    return True


def _player_of(message: OutboxMessage) -> str | None:
    """Whose tier the event may raise: a captured purchase's buyer, a play's player; None otherwise."""
    if message.event_type == "PurchaseUpdated":
        return str(message.payload["user_id"]) if message.payload.get("status") == CAPTURED else None
    return message.aggregate_id


async def upgrade_players(messages: Sequence[OutboxMessage], deps: VipDeps) -> None:
    """One recomputation per player of the pass, in the order they first appear."""
    players = dict.fromkeys(player for message in messages if (player := _player_of(message)) is not None)
    for user_id in players:
        await upgrade_tier(user_id, deps)
