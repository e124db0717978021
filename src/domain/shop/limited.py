"""Limited-time packages: a purchase window, a global stock shared through holds, a per-user limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.domain.identity.model import Rank
from src.domain.shared.errors import DomainError


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

    @property
    def stock_remaining(self) -> int:
        return max(0, self.max_global_stock - self.sold - self.held)

    def check_on_sale(self, now: datetime) -> None:
        """The kill switch, then the window. Stock and the per-user limit are decided by the database."""
        if not self.enabled:
            raise PackageDisabled
        if not self.starts_at <= now <= self.ends_at:
            raise WindowClosed(details={"starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat()})
