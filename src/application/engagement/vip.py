"""VIP use cases: the tier table, the caller's standing, and automatic upgrades from running totals.

Spend shown in the standing is the shop's spending summary (captured purchases net of refunds) and activity the
games' play summary (slot spins plus gacha items pulled), both read through those contexts' handlers. Upgrades
do not read them: one outbox consumer adds a relay pass's purchases and plays to each player's running totals in
one statement (idempotent by event id, so a redelivered pass counts nothing twice) and looks at a player's tier
only when their totals cross a tier they had not earned yet. A higher earned tier is stored with the conditional
`raise_vip_tier` (concurrent upgrades and an admin's higher tier are never lowered) together with AccountUpdated,
which reaches the player as profile_update and the tier history; a tier is never lowered automatically. The relay
runs the upgrades inside the counters of play (`plays.count_plays`, one once-only key per event for four counters)
as `upgrade_counted`; `upgrade_players` is the consumer alone, with its own inbox marks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from src.application.engagement.deps import EngagementDeps
from src.application.engagement.ports import EngagementUnitOfWork, ProgressDelta
from src.application.games.deps import GamesDeps
from src.application.games.history import player_summary
from src.application.shared.outbox import OutboxMessage
from src.application.shared.ports import Clock
from src.application.shop.deps import PurchaseDeps
from src.application.shop.receipts import my_spending
from src.domain.engagement.vip import TIERS, VipStanding, VipTier, activity_points, standing
from src.domain.identity.events import AccountUpdated
from src.domain.shared.errors import NotFound

UPGRADE_EVENTS = ("PurchaseUpdated", "SpinSettled", "GachaPulled")
PROGRESS_CONSUMER = "vip_progress"
CAPTURED, REFUNDED = "captured", "refunded"
EARNED = "earned"
INBOX_RETENTION = timedelta(days=8)  # an event is never redelivered this late


@dataclass(frozen=True)
class VipDeps:
    """The standing: the stored tier, and the shop's and games' summaries."""

    uow_factory: Callable[[], EngagementUnitOfWork]
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


def progress_delta(message: OutboxMessage) -> ProgressDelta | None:
    """What an event adds to its player's totals: a capture its amount, a refund of a captured purchase minus the
    amount returned, a spin one point, a pull one point per item; None when it adds nothing."""
    payload = message.payload
    if message.event_type == "PurchaseUpdated":
        user_id, status = str(payload["user_id"]), payload.get("status")
        if status == CAPTURED:
            return ProgressDelta(message.event_id, user_id, int(payload["amount_cents"]), 0)
        if status == REFUNDED and payload.get("was_captured"):
            return ProgressDelta(message.event_id, user_id, -int(payload.get("refunded_cents", 0)), 0)
        return None
    if message.event_type == "SpinSettled":
        return ProgressDelta(message.event_id, message.aggregate_id, 0, 1)
    if message.event_type == "GachaPulled":
        return ProgressDelta(message.event_id, message.aggregate_id, 0, int(payload.get("count", 1)))
    return None


async def _raise(uow: EngagementUnitOfWork, user_id: str, tier: int, now: datetime) -> bool:
    """Store a higher earned tier (never lowering one an admin set above it), with AccountUpdated."""
    user = await uow.users.get_for_update(user_id)
    if user is None or user.deleted_at is not None or user.vip_tier >= tier:
        return False
    if not await uow.users.raise_vip_tier(user_id, tier):
        return False
    uow.record(
        AccountUpdated(
            aggregate_id=user.id,
            occurred_at=now,
            rank=user.rank.value,
            vip_tier=tier,
            status=user.status.value,
            changed=["vip_tier"],
            previous_vip_tier=user.vip_tier,
            source=EARNED,
        )
    )
    return True


async def upgrade_players(messages: Sequence[OutboxMessage], deps: EngagementDeps) -> list[str]:
    """A relay pass's events into the running totals, in one transaction; the players whose tier was raised.

    The totals are one statement; a player's tier is read only when their totals crossed a tier not yet earned."""
    deltas = [delta for message in messages if (delta := progress_delta(message)) is not None]
    if not deltas:
        return []
    async with deps.uow_factory() as uow:
        raised = await _upgrade(uow, PROGRESS_CONSUMER, deltas, deps)
        await uow.commit()
    return raised


async def upgrade_counted(uow: EngagementUnitOfWork, fresh: Sequence[OutboxMessage], deps: EngagementDeps) -> None:
    """`upgrade_players` in the caller's transaction, for events it has already kept once-only (`count_plays`):
    each of `fresh` is added, none remembered here."""
    deltas = [delta for message in fresh if (delta := progress_delta(message)) is not None]
    if deltas:
        await _upgrade(uow, None, deltas, deps)


async def _upgrade(
    uow: EngagementUnitOfWork, consumer: str | None, deltas: list[ProgressDelta], deps: EngagementDeps
) -> list[str]:
    raised = []
    for totals in await uow.vip_progress.add(consumer, deltas, deps.clock.now()):
        if (earned := totals.newly_earned()) is None:
            continue
        await uow.vip_progress.set_earned(totals.user_id, earned.tier)
        if await _raise(uow, totals.user_id, earned.tier, deps.clock.now()):
            raised.append(totals.user_id)
    return raised


async def forget_counted(deps: EngagementDeps) -> int:
    """Drop the upgrade consumer's counted marks past retention, so the inbox does not grow with every play."""
    async with deps.uow_factory() as uow:
        forgotten = await uow.vip_progress.forget_events(PROGRESS_CONSUMER, deps.clock.now() - INBOX_RETENTION)
        await uow.commit()
    return forgotten
