"""Wire formats of the shop routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.shop.catalog import PricedItem
from src.domain.shared.principal import Rank
from src.entrypoints.http.schemas.identity import AwareDateTime, Struct

Sku = Annotated[str, msgspec.Meta(max_length=64)]


class CatalogItemOut(Struct):
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    gems: int
    discount_percent: int
    discount_ends_at: datetime | None
    discount_active: bool
    final_price_cents: int
    min_rank: str
    enabled: bool
    vip_discount_percent: int = 0  # the caller's VIP discount, already in final_price_cents
    remote_discount_percent: int = 0  # the caller's remote-config (experiment/segment) discount, already in it

    @classmethod
    def of(cls, priced: PricedItem) -> CatalogItemOut:
        item = priced.item
        return cls(
            sku=item.sku,
            name=item.name,
            description=item.description,
            price_cents=item.price_cents,
            currency=item.currency,
            gems=item.gems,
            discount_percent=item.discount_percent,
            discount_ends_at=item.discount_ends_at,
            discount_active=priced.discount_active,
            final_price_cents=priced.final_price_cents,
            min_rank=item.min_rank.value,
            enabled=item.enabled,
            vip_discount_percent=priced.member_discount_percent,
            remote_discount_percent=priced.remote_discount_percent,
        )


class CatalogItemIn(Struct):
    sku: Sku
    name: Annotated[str, msgspec.Meta(max_length=200)]
    price_cents: int
    gems: int
    currency: Annotated[str, msgspec.Meta(max_length=8)] = "USD"
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    min_rank: Rank = Rank.STANDARD
    enabled: bool = True
    discount_percent: int = 0
    discount_ends_at: AwareDateTime | None = None


class CatalogItemChangesIn(Struct):
    """Only the fields given change."""

    name: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=1000)] | msgspec.UnsetType = msgspec.UNSET
    price_cents: int | msgspec.UnsetType = msgspec.UNSET
    currency: Annotated[str, msgspec.Meta(max_length=8)] | msgspec.UnsetType = msgspec.UNSET
    gems: int | msgspec.UnsetType = msgspec.UNSET
    min_rank: Rank | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    discount_percent: int | msgspec.UnsetType = msgspec.UNSET
    discount_ends_at: AwareDateTime | msgspec.UnsetType | None = msgspec.UNSET

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in msgspec.structs.asdict(self).items() if value is not msgspec.UNSET}


IdempotencyKeyField = Annotated[str, msgspec.Meta(max_length=255)] | None
Quantity = Annotated[int, msgspec.Meta(ge=1, le=10)]
CardToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
PromoCodeField = Annotated[str, msgspec.Meta(max_length=64)] | None


class BuyIn(Struct):
    """Any price the client sends is ignored: the server prices from its own catalog."""

    sku: Sku
    card_token: CardToken
    quantity: Quantity = 1
    promo_code: PromoCodeField = None
    idempotency_key: IdempotencyKeyField = None


class LimitedBuyIn(Struct):
    package_id: Annotated[str, msgspec.Meta(max_length=64)]
    card_token: CardToken
    quantity: Quantity = 1
    promo_code: PromoCodeField = None
    idempotency_key: IdempotencyKeyField = None


class BuyOut(Struct):
    transaction_id: str
    status: str  # "captured", or "pending" while the gateway or a capture retry has the last word
    charge_id: str | None
    amount_cents: int
    currency: str
    gems_granted: int
    new_gem_balance: int
    receipt_signature: str


class ReceiptIn(Struct):
    transaction_id: Annotated[str, msgspec.Meta(max_length=64)]
    receipt_signature: Annotated[str, msgspec.Meta(max_length=128)]


class ReceiptOut(Struct):
    valid: bool
