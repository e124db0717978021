"""Limited-time packages: a purchase window, a global stock shared through holds, a per-user limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.domain.shared.errors import DomainError, InvalidInput
from src.domain.shared.principal import Rank
from src.domain.shop.catalog import CURRENCY_PATTERN, MAX_GEMS, MAX_PRICE_CENTS, SKU_PATTERN

MAX_STOCK = 1_000_000


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"
    default_message = "this package is sold out"


class PackageDisabled(DomainError):
    code = "DISABLED"
    default_message = "this item is not on sale"


class WindowClosed(DomainError):
    code = "WINDOW_CLOSED"
    default_message = "this package is not on sale at this time"


class UserLimitReached(DomainError):
    code = "USER_LIMIT"
    default_message = "you have bought this package as many times as allowed"


@dataclass(frozen=True)
class LimitedPackage:
    package_id: str
    name: str
    price_cents: int
    gems: int
    starts_at: datetime
    ends_at: datetime
    max_global_stock: int
    per_user_limit: int
    currency: str = "USD"
    description: str = ""
    min_rank: Rank = Rank.STANDARD
    enabled: bool = True
    sold: int = 0  # captured purchases
    held: int = 0  # reserved by purchases in flight

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidInput(
                "the limited package is not valid",
                details={"fields": [{"key": key, "message": message, "source": "body"} for key, message in problems]},
            )

    @property
    def stock_remaining(self) -> int:
        return max(0, self.max_global_stock - self.sold - self.held)

    def check_on_sale(self, now: datetime) -> None:
        """The kill switch, then the window. Stock and the per-user limit are decided by the database."""
        if not self.enabled:
            raise PackageDisabled
        if not self.starts_at <= now <= self.ends_at:
            raise WindowClosed(details={"starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat()})


def _problems(package: LimitedPackage) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not SKU_PATTERN.match(package.package_id):
        problems.append(("package_id", "package_id must be 3-64 characters of a-z, 0-9, _ and -"))
    if not 1 <= len(package.name.strip()) <= 80:
        problems.append(("name", "name must be 1-80 characters"))
    if len(package.description) > 500:
        problems.append(("description", "description must be at most 500 characters"))
    if not 1 <= package.price_cents <= MAX_PRICE_CENTS:
        problems.append(("price_cents", f"price_cents must be between 1 and {MAX_PRICE_CENTS}"))
    if not CURRENCY_PATTERN.match(package.currency):
        problems.append(("currency", "currency must be an ISO 4217 code such as USD"))
    if not 1 <= package.gems <= MAX_GEMS:
        problems.append(("gems", f"gems must be between 1 and {MAX_GEMS}"))
    if not 1 <= package.max_global_stock <= MAX_STOCK:
        problems.append(("max_global_stock", f"max_global_stock must be between 1 and {MAX_STOCK}"))
    if not 1 <= package.per_user_limit <= MAX_STOCK:
        problems.append(("per_user_limit", f"per_user_limit must be between 1 and {MAX_STOCK}"))
    return problems + _window_problems(package)


def _window_problems(package: LimitedPackage) -> list[tuple[str, str]]:
    if package.starts_at.tzinfo is None or package.ends_at.tzinfo is None:
        return [("starts_at", "starts_at and ends_at need a timezone")]
    if package.ends_at <= package.starts_at:
        return [("ends_at", "ends_at must be after starts_at")]
    return []
