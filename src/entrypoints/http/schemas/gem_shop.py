"""Wire formats of the gem shop (items bought with gems)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from src.application.engagement.gem_shop import GemItemPurchase, PricedGemOffer
from src.entrypoints.http.schemas.identity import Struct


class GemItemOut(Struct):
    item_id: str
    name: str
    description: str
    price_gems: int  # per unit, before the caller's VIP discount
    vip_discount_percent: int
    final_price_gems: int  # per unit, what the caller pays now
    max_quantity: int  # most units in one purchase

    @classmethod
    def of(cls, priced: PricedGemOffer) -> GemItemOut:
        offer = priced.offer
        return cls(
            item_id=offer.item.item_id,
            name=offer.item.name,
            description=offer.description,
            price_gems=offer.price_gems,
            vip_discount_percent=priced.vip_discount_percent,
            final_price_gems=priced.final_price_gems,
            max_quantity=offer.max_quantity,
        )


class GemItemsOut(Struct):
    items: list[GemItemOut]


class GemItemBuyIn(Struct):
    """Any price the client sends is ignored: the server prices from its own offers."""

    item_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None


class GemItemPurchaseOut(Struct):
    item_id: str
    quantity: int
    gems_spent: int
    new_gem_balance: int
    owned: int  # the caller's quantity of the item afterwards

    @classmethod
    def of(cls, purchase: GemItemPurchase) -> GemItemPurchaseOut:
        return cls(
            item_id=purchase.item_id,
            quantity=purchase.quantity,
            gems_spent=purchase.gems_spent,
            new_gem_balance=purchase.new_gem_balance,
            owned=purchase.owned,
        )
