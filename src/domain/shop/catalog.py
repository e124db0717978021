"""The gem shop's catalog and how a price is computed (always on the server, in integer cents)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from src.domain.shared.errors import DomainError, InvalidInput
from src.domain.shared.principal import Rank

SKU_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{2,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_PRICE_CENTS = 1_000_000
MAX_GEMS = 1_000_000
MAX_DISCOUNT_PERCENT = 95


class SkuTaken(DomainError):
    code = "SKU_TAKEN"
    default_message = "an item with this sku exists"


def discounted(price_cents: int, percent: int) -> int:
    """Price after a percentage discount, rounded half up to the cent."""
    return (price_cents * (100 - percent) + 50) // 100


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    gems: int
    min_rank: Rank = Rank.STANDARD
    enabled: bool = True
    discount_percent: int = 0
    discount_ends_at: datetime | None = None

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidInput(
                "the catalog item is not valid",
                details={"fields": [{"key": key, "message": message, "source": "body"} for key, message in problems]},
            )

    def discount_active(self, now: datetime) -> bool:
        return self.discount_percent > 0 and (self.discount_ends_at is None or now < self.discount_ends_at)

    def final_price_cents(self, now: datetime, promo_percent: int = 0, member_percent: int = 0) -> int:
        """The item's own discount while it lasts, then the buyer's member (VIP) discount, then at most one promo
        code, each rounded to the cent."""
        price = discounted(self.price_cents, self.discount_percent) if self.discount_active(now) else self.price_cents
        if member_percent:
            price = discounted(price, member_percent)
        if promo_percent:
            price = discounted(price, promo_percent)
        return price


def _problems(item: CatalogItem) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not SKU_PATTERN.match(item.sku):
        problems.append(("sku", "sku must be 3-64 characters of a-z, 0-9, _ and -"))
    if not 1 <= len(item.name.strip()) <= 80:
        problems.append(("name", "name must be 1-80 characters"))
    if len(item.description) > 500:
        problems.append(("description", "description must be at most 500 characters"))
    if not 1 <= item.price_cents <= MAX_PRICE_CENTS:
        problems.append(("price_cents", f"price_cents must be between 1 and {MAX_PRICE_CENTS}"))
    if not CURRENCY_PATTERN.match(item.currency):
        problems.append(("currency", "currency must be an ISO 4217 code such as USD"))
    if not 1 <= item.gems <= MAX_GEMS:
        problems.append(("gems", f"gems must be between 1 and {MAX_GEMS}"))
    if not 0 <= item.discount_percent <= MAX_DISCOUNT_PERCENT:
        problems.append(("discount_percent", f"discount_percent must be between 0 and {MAX_DISCOUNT_PERCENT}"))
    if item.discount_ends_at is not None and item.discount_ends_at.tzinfo is None:
        problems.append(("discount_ends_at", "discount_ends_at needs a timezone"))
    return problems
