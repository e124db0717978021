"""Wire formats of limited packages and promo codes (player and admin routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.shop.limited_packages import PlayerPackage
from src.domain.shared.principal import Rank
from src.domain.shop.limited import LimitedPackage
from src.domain.shop.promos import PromoCode
from src.entrypoints.http.schemas.identity import AwareDateTime, Struct

Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]  # the domain narrows each field further


class LimitedPackageOut(Struct):
    """A package as the calling player sees it now."""

    package_id: str
    name: str
    description: str
    price_cents: int
    currency: str
    gems: int
    min_rank: str
    starts_at: datetime
    ends_at: datetime
    stock_remaining: int
    per_user_limit: int
    user_purchased: int
    enabled: bool
    on_sale: bool

    @classmethod
    def of(cls, view: PlayerPackage) -> LimitedPackageOut:
        return cls(**_shared_fields(view.package), user_purchased=view.user_purchased, on_sale=view.on_sale)


class AdminLimitedPackageOut(Struct):
    package_id: str
    name: str
    description: str
    price_cents: int
    currency: str
    gems: int
    min_rank: str
    starts_at: datetime
    ends_at: datetime
    max_global_stock: int
    per_user_limit: int
    sold: int
    held: int
    stock_remaining: int
    enabled: bool

    @classmethod
    def of(cls, package: LimitedPackage) -> AdminLimitedPackageOut:
        return cls(
            **_shared_fields(package),
            max_global_stock=package.max_global_stock,
            sold=package.sold,
            held=package.held,
        )


def _shared_fields(package: LimitedPackage) -> dict[str, Any]:
    """What players and admins both see of a package."""
    return {
        "package_id": package.package_id,
        "name": package.name,
        "description": package.description,
        "price_cents": package.price_cents,
        "currency": package.currency,
        "gems": package.gems,
        "min_rank": package.min_rank.value,
        "starts_at": package.starts_at,
        "ends_at": package.ends_at,
        "stock_remaining": package.stock_remaining,
        "per_user_limit": package.per_user_limit,
        "enabled": package.enabled,
    }


class LimitedPackageIn(Struct):
    """Create or replace a package's settings; `enabled` left out keeps an existing package's switch."""

    package_id: Annotated[str, msgspec.Meta(max_length=64)]
    name: Annotated[str, msgspec.Meta(max_length=200)]
    price_cents: Count
    gems: Count
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    max_global_stock: Count
    per_user_limit: Count
    currency: Annotated[str, msgspec.Meta(max_length=8)] = "USD"
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    min_rank: Rank = Rank.STANDARD
    enabled: bool | msgspec.UnsetType = msgspec.UNSET

    def package(self) -> LimitedPackage:
        """Validated by the domain (400 VALIDATION_ERROR with the offending fields)."""
        return LimitedPackage(
            package_id=self.package_id,
            name=self.name,
            description=self.description,
            price_cents=self.price_cents,
            currency=self.currency,
            gems=self.gems,
            min_rank=self.min_rank,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            max_global_stock=self.max_global_stock,
            per_user_limit=self.per_user_limit,
        )


class PromoCodeIn(Struct):
    code: Annotated[str, msgspec.Meta(max_length=64)]
    discount_percent: Count
    max_uses: Count | None = None  # null: unlimited
    starts_at: AwareDateTime | None = None
    ends_at: AwareDateTime | None = None
    enabled: bool = True


class PromoCodeOut(Struct):
    code: str
    discount_percent: int
    max_uses: int | None
    used_count: int  # in-flight purchases included
    uses_left: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, promo: PromoCode) -> PromoCodeOut:
        return cls(
            code=promo.code,
            discount_percent=promo.discount_percent,
            max_uses=promo.max_uses,
            used_count=promo.used_count,
            uses_left=promo.uses_left,
            starts_at=promo.starts_at,
            ends_at=promo.ends_at,
            enabled=promo.enabled,
            created_at=promo.created_at,
        )
