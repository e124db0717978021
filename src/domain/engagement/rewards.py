"""Rewards: a grant of coins, gems or an item to a player, by an admin or by the server itself.

Rules (API.md fixes only the shape, so they are decided here):
- COIN and GEM need `amount`, 1..1,000,000,000, and no `item_id`; ITEM needs an `item_id` of the grantable
  registry below and takes `amount` as the quantity, 1..100 (1 when absent);
- `source` says why (e.g. "tournament_prize", "mission:m42"): required, 1..200 characters after trimming;
  the bounds are the admin wallet grant's (amount, reason), since that grant is a reward too;
- `granted_by` is the granting admin's user id, None for a server-internal grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from src.domain.shared.errors import InvalidInput
from src.domain.wallet.model import Currency

MAX_CURRENCY_AMOUNT = 1_000_000_000
MAX_ITEM_QUANTITY = 100
MAX_SOURCE_LENGTH = 200


class RewardType(StrEnum):
    COIN = "COIN"
    GEM = "GEM"
    ITEM = "ITEM"


CURRENCY_OF = {RewardType.COIN: Currency.COINS, RewardType.GEM: Currency.GEMS}
REWARD_TYPE_OF = {currency: reward_type for reward_type, currency in CURRENCY_OF.items()}


@dataclass(frozen=True)
class GrantableItem:
    item_id: str
    name: str
    rarity: str


# The items a reward may grant, stored in the games inventory under these ids, names and rarities. Only items
# something in the game consumes belong here (a streak shield is spent by POST /api/streak/protect). Their
# rarity is no gacha rarity, so the gacha's counts by rarity never take them for pulls.
UTILITY_RARITY = "Utility"
GRANTABLE_ITEMS: dict[str, GrantableItem] = {
    item.item_id: item for item in (GrantableItem("streak_shield", "Streak Shield", UTILITY_RARITY),)
}


@dataclass(frozen=True)
class Reward:
    reward_id: str
    user_id: str
    reward_type: RewardType
    amount: int
    item_id: str | None
    source: str
    granted_by: str | None
    awarded_at: datetime

    @property
    def currency(self) -> Currency | None:
        """The wallet currency it credits; None for an item."""
        return CURRENCY_OF.get(self.reward_type)

    @property
    def item(self) -> GrantableItem | None:
        return None if self.item_id is None else GRANTABLE_ITEMS[self.item_id]


def _invalid(message: str, key: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "message": message}]})


def _reward_type(value: str) -> RewardType:
    try:
        return RewardType(value)
    except ValueError as exc:
        raise _invalid("reward_type must be COIN, GEM or ITEM", "reward_type") from exc


def _source(value: str) -> str:
    source = value.strip()
    if not 1 <= len(source) <= MAX_SOURCE_LENGTH:
        raise _invalid(f"source must be 1-{MAX_SOURCE_LENGTH} characters", "source")
    return source


def _amount(reward_type: RewardType, amount: int | None, item_id: str | None) -> int:
    """The amount (a quantity for an item) after the field-combination rules."""
    if reward_type is RewardType.ITEM:
        if item_id is None:
            raise _invalid("item_id is required for an ITEM reward", "item_id")
        if item_id not in GRANTABLE_ITEMS:
            raise _invalid(f"unknown item_id {item_id!r}", "item_id")
        quantity = 1 if amount is None else amount
        if not 1 <= quantity <= MAX_ITEM_QUANTITY:
            raise _invalid(f"amount (the quantity) must be 1-{MAX_ITEM_QUANTITY}", "amount")
        return quantity
    if item_id is not None:
        raise _invalid(f"item_id is only for ITEM rewards, not {reward_type.value}", "item_id")
    if amount is None:
        raise _invalid(f"amount is required for a {reward_type.value} reward", "amount")
    if not 1 <= amount <= MAX_CURRENCY_AMOUNT:
        raise _invalid(f"amount must be 1-{MAX_CURRENCY_AMOUNT:,}", "amount")
    return amount


@dataclass(frozen=True)
class RewardRequest:
    """What a granter asks for, before the rules have checked it."""

    user_id: str
    reward_type: str
    source: str
    amount: int | None = None
    item_id: str | None = None


def new_reward(request: RewardRequest, reward_id: str, granted_by: str | None, now: datetime) -> Reward:
    """A valid reward, or InvalidInput naming the offending field."""
    reward_type = _reward_type(request.reward_type)
    return Reward(
        reward_id=reward_id,
        user_id=request.user_id,
        reward_type=reward_type,
        amount=_amount(reward_type, request.amount, request.item_id),
        item_id=request.item_id,
        source=_source(request.source),
        granted_by=granted_by,
        awarded_at=now,
    )
