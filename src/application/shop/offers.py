"""What is being bought, at which price, and whether this player may buy it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.shop.catalog import MemberDiscount, no_member_discount, remote_price
from src.application.shop.ports import PurchaseUnitOfWork
from src.application.shop.transactions import BuyReads
from src.domain.shared.errors import NotFound, RankRequired
from src.domain.shared.principal import Rank
from src.domain.shop.limited import PackageDisabled
from src.domain.shop.promos import PromoCode, PromoInvalid, normalise_code
from src.domain.shop.transactions import PurchaseKind

MAX_PROMO_CODE_LENGTH = 64


@dataclass(frozen=True)
class Offer:
    offer_id: str
    unit_price_cents: int  # after the item's own discount and the buyer's VIP discount, before any promo code
    currency: str
    gems: int  # per unit
    min_rank: Rank
    per_user_limit: int | None = None  # limited packages only


async def find_offer(
    uow: PurchaseUnitOfWork,
    kind: PurchaseKind,
    offer_id: str,
    user_id: str,
    now: datetime,
    member_discount: MemberDiscount = no_member_discount,
    remote: tuple[str, int] | None = None,
    reads: BuyReads | None = None,
) -> Offer:
    """The offer as the server prices it now for this buyer; unknown → NOT_FOUND, off sale → DISABLED/WINDOW_CLOSED,
    above the player's current rank (read from the database, not the token) → RANK_REQUIRED. A catalog item is
    priced with the buyer's VIP discount (their stored tier, read here); limited packages are already special
    prices and take none. `remote`: the buyer's remote-config discount (priced by the listing's `remote_price`);
    `reads`: the buyer and catalog item read already."""
    user = reads.buyer if reads is not None else await uow.users.get(user_id)
    if user is None:
        raise NotFound("no such user")
    if kind is PurchaseKind.CATALOG:
        offer = await _catalog_offer(uow, offer_id, now, member_discount(user.vip_tier), remote, reads)
    else:
        offer = await _limited_offer(uow, offer_id, now)
    if not user.rank.at_least(offer.min_rank):
        raise RankRequired(offer.min_rank.value, user.rank.value)
    return offer


async def _catalog_offer(
    uow: PurchaseUnitOfWork,
    sku: str,
    now: datetime,
    member_percent: int,
    remote: tuple[str, int] | None,
    reads: BuyReads | None,
) -> Offer:
    item = reads.item if reads is not None else await uow.catalog.get(sku)
    if item is None:
        raise NotFound("no such catalog item", details={"sku": sku})
    if not item.enabled:
        raise PackageDisabled
    price, _ = remote_price(item.final_price_cents(now, member_percent=member_percent), item.sku, remote)
    return Offer(item.sku, price, item.currency, item.gems, item.min_rank)


async def _limited_offer(uow: PurchaseUnitOfWork, package_id: str, now: datetime) -> Offer:
    package = await uow.limited.get(package_id)
    if package is None:
        raise NotFound("no such limited package", details={"package_id": package_id})
    package.check_on_sale(now)
    return Offer(
        package.package_id,
        package.price_cents,
        package.currency,
        package.gems,
        package.min_rank,
        per_user_limit=package.per_user_limit,
    )


async def usable_promo(uow: PurchaseUnitOfWork, code: str | None, now: datetime) -> PromoCode | None:
    """A promo code that can be used now (the database re-decides the use count when the use is taken)."""
    if code is None or not code.strip():
        return None
    if len(code) > MAX_PROMO_CODE_LENGTH:
        raise PromoInvalid
    promo = await uow.promos.get(normalise_code(code))
    if promo is None:
        raise PromoInvalid
    promo.check_usable(now)
    return promo
