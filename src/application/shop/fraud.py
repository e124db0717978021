"""Purchase velocity: too many attempts, or too many different cards, in a short window blocks buying.

Counted in sliding windows behind the cache port, so with Redis the count is shared by every instance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from src.application.shared.ports import Cache
from src.domain.shared.errors import DomainError


class FraudBlocked(DomainError):
    code = "FRAUD_BLOCK"
    default_message = "too many purchase attempts; try again later"


@dataclass(frozen=True)
class VelocityLimits:
    max_attempts: int = 20
    max_distinct_cards: int = 3
    window: timedelta = timedelta(minutes=5)


async def check_purchase_velocity(cache: Cache, user_id: str, card_fingerprint: str, limits: VelocityLimits) -> None:
    """Count this attempt, then refuse it if it reaches either limit (a refused attempt still counts)."""
    window = limits.window.total_seconds()
    attempts, cards = await cache.add_to_windows(
        [(f"fraud:attempts:{user_id}", uuid.uuid4().hex), (f"fraud:cards:{user_id}", card_fingerprint)], window
    )
    if attempts >= limits.max_attempts:
        raise FraudBlocked(details={"rule": "attempts", "count": attempts, "limit": limits.max_attempts})
    if cards >= limits.max_distinct_cards:
        raise FraudBlocked(details={"rule": "distinct_cards", "count": cards, "limit": limits.max_distinct_cards})
