"""Paying a mission's or an achievement's prize: one ledger row per currency (referenced by the claim, so a claim
never pays twice even past its row's conditional update) and the item into the inventory, in the caller's
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.games.ports import HasInventory
from src.application.wallet.ledger import Grant, credit
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.missions import Prize
from src.domain.engagement.rewards import GRANTABLE_ITEMS
from src.domain.wallet.events import RewardGranted
from src.domain.wallet.model import Currency, Movement, balances_of


class PrizeUnitOfWork(WalletUnitOfWork, HasInventory, Protocol):
    """Where a prize goes."""


@dataclass(frozen=True)
class Claim:
    """What is paid, to whom, and the claim that references it (`reason`, `ref_type`, `ref_id` in the ledger)."""

    user_id: str
    prize: Prize
    reason: str  # mission_reward | achievement_reward
    ref_type: str  # mission | achievement
    ref_id: str  # user:mission:period or user:achievement
    source: str  # mission:<id> | achievement:<id>, as the player's reward notice says


def prize_json(prize: Prize) -> dict[str, object]:
    """The `reward` of API.md: `{coins?, gems?, item_id?}`, only what the prize holds."""
    reward: dict[str, object] = {}
    if prize.coins:
        reward["coins"] = prize.coins
    if prize.gems:
        reward["gems"] = prize.gems
    if prize.item_id is not None:
        reward["item_id"] = prize.item_id
    return reward


async def pay(uow: PrizeUnitOfWork, claim: Claim, now: datetime) -> dict[str, int]:
    """Credit the prize; the player's balances after it. AlreadyApplied if this claim's reference paid before."""
    await credit_prize(uow, claim, now)
    return balances_of(await uow.wallets.balances(claim.user_id))


async def credit_prize(uow: PrizeUnitOfWork, claim: Claim, now: datetime) -> None:
    """`pay` without reading the balances back (an automatic claim answers nobody)."""
    for currency, amount in ((Currency.COINS, claim.prize.coins), (Currency.GEMS, claim.prize.gems)):
        if amount:
            movement = Movement(claim.user_id, currency, amount, claim.reason, claim.ref_type, claim.ref_id)
            await credit(uow, movement, now, Grant(claim.source, reward_type=_REWARD_TYPES[currency]))
    if claim.prize.item_id is not None:
        item = GRANTABLE_ITEMS[claim.prize.item_id]
        await uow.inventory.add(claim.user_id, [(item.item_id, item.name, item.rarity)], now)
        uow.record(
            RewardGranted(
                aggregate_id=claim.user_id,
                occurred_at=now,
                currency="item",
                amount=1,
                source=claim.source,
                granted_by=None,
                reward_type="ITEM",
                item_id=item.item_id,
                item_name=item.name,
            )
        )


_REWARD_TYPES = {Currency.COINS: "COIN", Currency.GEMS: "GEM"}
