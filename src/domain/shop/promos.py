"""Promo codes: a percentage off, a limited number of uses, a window, a kill switch; one per purchase."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from src.domain.shared.errors import DomainError, InvalidInput

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_\-]{2,31}$")
MAX_PROMO_PERCENT = 90


class PromoInvalid(DomainError):
    code = "PROMO_INVALID"
    default_message = "this promo code is not valid"


class PromoExpired(DomainError):
    code = "PROMO_EXPIRED"
    default_message = "this promo code has expired"


class PromoExhausted(DomainError):
    code = "PROMO_EXHAUSTED"
    default_message = "this promo code has no uses left"


class PromoCodeTaken(DomainError):
    code = "PROMO_CODE_TAKEN"
    default_message = "a promo code with this code exists"


def normalise_code(code: str) -> str:
    """Codes are case-insensitive: stored and compared upper-case, without surrounding blanks."""
    return code.strip().upper()


@dataclass(frozen=True)
class PromoCode:
    code: str
    discount_percent: int
    max_uses: int | None  # None: unlimited
    created_at: datetime
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enabled: bool = True
    used_count: int = 0  # uses taken, in-flight purchases included (a failed purchase gives its use back)

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        if not CODE_PATTERN.match(self.code):
            problems.append(("code", "code must be 3-32 characters of A-Z, 0-9, _ and -"))
        if not 1 <= self.discount_percent <= MAX_PROMO_PERCENT:
            problems.append(("discount_percent", f"discount_percent must be between 1 and {MAX_PROMO_PERCENT}"))
        if self.max_uses is not None and self.max_uses < 1:
            problems.append(("max_uses", "max_uses must be at least 1 (or null for unlimited)"))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            problems.append(("ends_at", "ends_at must be after starts_at"))
        if problems:
            raise InvalidInput(
                "the promo code is not valid",
                details={"fields": [{"key": key, "message": message, "source": "body"} for key, message in problems]},
            )

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.used_count)

    def check_usable(self, now: datetime) -> None:
        """Disabled or not started yet → PROMO_INVALID; past its end → PROMO_EXPIRED; no uses left → EXHAUSTED.

        Advisory: the database re-decides the use count atomically when a use is taken."""
        if not self.enabled or (self.starts_at is not None and now < self.starts_at):
            raise PromoInvalid
        if self.ends_at is not None and now >= self.ends_at:
            raise PromoExpired
        if self.uses_left == 0:
            raise PromoExhausted
