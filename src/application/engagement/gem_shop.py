"""Buying items with gems: one ledger debit and the items, in one transaction, once per Idempotency-Key.

The debit is referenced by (buyer, key digest): the HTTP layer replays a key's answer for 24 h, and past that the
ledger's unique reference still refuses a second charge (409 ALREADY_APPLIED) rather than charging again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from src.application.engagement.deps import EngagementDeps
from src.application.limits.controls import refuse_if_restricted
from src.application.shared.idempotency import KeyRecorder
from src.application.wallet.ledger import record_balance_change
from src.domain.engagement.gem_items import GEM_OFFERS, GemOffer, gem_offer
from src.domain.engagement.vip import shop_discount_percent
from src.domain.shared.errors import NotFound
from src.domain.wallet.model import Currency, Movement

PURCHASE_REASON = "item_purchase"
PURCHASE_REF_TYPE = "gem_item"


@dataclass(frozen=True)
class PricedGemOffer:
    offer: GemOffer
    vip_discount_percent: int
    final_price_gems: int  # per unit, for this buyer


@dataclass(frozen=True)
class BuyGemItem:
    user_id: str
    item_id: str
    quantity: int
    key: str


@dataclass(frozen=True)
class GemItemPurchase:
    item_id: str
    quantity: int
    gems_spent: int
    new_gem_balance: int
    owned: int  # the buyer's quantity of the item afterwards


def _priced(offer: GemOffer, vip_tier: int) -> PricedGemOffer:
    percent = shop_discount_percent(vip_tier)
    return PricedGemOffer(offer, percent, offer.unit_price(percent))


async def _vip_tier(deps: EngagementDeps, user_id: str) -> int:
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("no such user")
    return user.vip_tier


async def gem_catalog(user_id: str, deps: EngagementDeps) -> list[PricedGemOffer]:
    """Every item sold for gems at the caller's price."""
    tier = await _vip_tier(deps, user_id)
    return [_priced(offer, tier) for offer in GEM_OFFERS.values()]


def _reference(user_id: str, key: str) -> str:
    return f"{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"


async def buy_gem_item(
    cmd: BuyGemItem, deps: EngagementDeps, recorder: KeyRecorder[GemItemPurchase] | None = None
) -> GemItemPurchase:
    """409 INSUFFICIENT_FUNDS (nothing taken) when the gems do not cover it; the price is the buyer's now. A
    timed-out or self-excluded player: 403 TIMED_OUT / SELF_EXCLUDED. `recorder`: the key's answer, written last."""
    offer = gem_offer(cmd.item_id, cmd.quantity)
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        await refuse_if_restricted(uow, cmd.user_id, now)
        user = await uow.users.get(cmd.user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("no such user")
        total = _priced(offer, user.vip_tier).final_price_gems * cmd.quantity
        movement = Movement(
            cmd.user_id, Currency.GEMS, total, PURCHASE_REASON, PURCHASE_REF_TYPE, _reference(cmd.user_id, cmd.key)
        )
        entry = await uow.wallets.debit(movement, now)
        record_balance_change(uow, entry)
        item = offer.item
        await uow.inventory.add(cmd.user_id, [(item.item_id, item.name, item.rarity)] * cmd.quantity, now)
        owned = sum(held.quantity for held in await uow.inventory.list(cmd.user_id) if held.item_id == item.item_id)
        purchase = GemItemPurchase(item.item_id, cmd.quantity, total, entry.balance_after, owned)
        if recorder is not None:
            await recorder.record(uow.idempotency_records, purchase)
        await uow.commit()
    return purchase
