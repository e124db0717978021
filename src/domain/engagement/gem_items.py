"""Items sold for gems (not for money): what the game consumes, priced in gems with the buyer's VIP discount.

Rules (API.md only says the streak shield can be bought with gems, so they are decided here):
- the offers are data of the game: an item of the grantable registry, a gem price and a most-per-purchase;
- the buyer's VIP shop discount comes off the gem price per unit, rounded half up, never below 1 gem;
- a purchase is one ledger debit of gems (referenced by the buyer's Idempotency-Key) and the items added to the
  inventory, in one transaction: never charged twice, never granted without the charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.domain.engagement.rewards import GRANTABLE_ITEMS, GrantableItem
from src.domain.shared.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class GemOffer:
    item: GrantableItem
    description: str
    price_gems: int  # per unit, before the VIP discount
    max_quantity: int

    def unit_price(self, discount_percent: int) -> int:
        return max(1, (self.price_gems * (100 - discount_percent) + 50) // 100)


GEM_OFFERS: dict[str, GemOffer] = {
    offer.item.item_id: offer
    for offer in (GemOffer(GRANTABLE_ITEMS["streak_shield"], "Keeps your daily streak over one missed day", 50, 5),)
}


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})


def gem_offer(item_id: str, quantity: int) -> GemOffer:
    """The offer for a purchase of `quantity`; NOT_FOUND for an item not sold for gems, 400 for a bad quantity."""
    offer = GEM_OFFERS.get(item_id)
    if offer is None:
        raise NotFound("no such item for gems", details={"item_id": item_id})
    if not 1 <= quantity <= offer.max_quantity:
        raise _invalid("quantity", f"quantity must be between 1 and {offer.max_quantity}")
    return offer
