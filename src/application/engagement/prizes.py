"""Paying a mission's or an achievement's prize: one ledger row per currency (referenced by the claim, so a claim
never pays twice even past its row's conditional update) and the item into the inventory, in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.games.ports import HasInventory
from src.application.wallet.ledger import Grant, announce_credit, credit
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.missions import Prize
from src.domain.engagement.rewards import GRANTABLE_ITEMS
from src.domain.wallet.events import RewardGranted
from src.domain.wallet.model import Currency, LedgerEntry, Movement, balances_of


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
    for movement in _movements(claim):
        await credit(uow, movement, now, _grant(claim, movement.currency))
    await _add_item(uow, claim, now)


async def credit_prizes(uow: PrizeUnitOfWork, claims: Sequence[Claim], now: datetime) -> dict[Claim, list[LedgerEntry]]:
    """The currencies of a relay pass's automatic claims in one wallet write (`credit_many`), each claim's ledger rows
    by claim (none: it paid before); nothing recorded yet: `announce_prize` does, in the order the caller keeps."""
    by_reference = {(claim.ref_id, claim.reason): claim for claim in claims}
    paid: dict[Claim, list[LedgerEntry]] = {claim: [] for claim in claims}
    for entry in await uow.wallets.credit_many([movement for claim in claims for movement in _movements(claim)], now):
        paid[by_reference[(str(entry.ref_id), entry.reason)]].append(entry)
    return paid


async def announce_prize(uow: PrizeUnitOfWork, claim: Claim, entries: Sequence[LedgerEntry], now: datetime) -> None:
    """The events of a claim `credit_prizes` paid, and its item: unless its currencies had been paid before."""
    for entry in entries:
        announce_credit(uow, entry, _grant(claim, entry.currency))
    if entries or not _movements(claim):
        await _add_item(uow, claim, now)


def _movements(claim: Claim) -> list[Movement]:
    amounts = ((Currency.COINS, claim.prize.coins), (Currency.GEMS, claim.prize.gems))
    return [Movement(claim.user_id, currency, amount, claim.reason, claim.ref_type, claim.ref_id)
            for currency, amount in amounts if amount]  # fmt: skip


def _grant(claim: Claim, currency: Currency) -> Grant:
    return Grant(claim.source, reward_type=_REWARD_TYPES[currency])


async def _add_item(uow: PrizeUnitOfWork, claim: Claim, now: datetime) -> None:
    if claim.prize.item_id is None:
        return
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
