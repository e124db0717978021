"""Wire formats of the reward routes: strict input (unknown fields are a 400), the reward as stored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from src.application.engagement.rewards import GrantedReward
from src.domain.engagement.rewards import MAX_CURRENCY_AMOUNT, MAX_SOURCE_LENGTH, Reward, RewardRequest
from src.entrypoints.http.schemas.identity import Struct
from src.entrypoints.http.schemas.wallet import WalletOut


class RewardGrantIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """COIN/GEM: `amount` 1..1,000,000,000, no `item_id`; ITEM: a grantable `item_id`, `amount` = quantity 1..100
    (default 1). The domain decides the combinations; these bounds keep absurd values out early."""

    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reward_type: Literal["COIN", "GEM", "ITEM"]
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_CURRENCY_AMOUNT)] | None = None
    item_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_LENGTH)]
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None

    def to_request(self) -> RewardRequest:
        return RewardRequest(self.user_id, self.reward_type, self.source, self.amount, self.item_id)


class RewardOut(Struct):
    reward_id: str
    user_id: str
    reward_type: str
    amount: int  # coins, gems, or the item quantity
    item_id: str | None
    source: str
    granted_by: str | None  # the admin's user id; null for a server-internal grant
    awarded_at: datetime

    @classmethod
    def of(cls, reward: Reward) -> RewardOut:
        return cls(**_reward_fields(reward))


def _reward_fields(reward: Reward) -> dict[str, Any]:
    return {
        "reward_id": reward.reward_id,
        "user_id": reward.user_id,
        "reward_type": reward.reward_type.value,
        "amount": reward.amount,
        "item_id": reward.item_id,
        "source": reward.source,
        "granted_by": reward.granted_by,
        "awarded_at": reward.awarded_at,
    }


class RewardGrantOut(RewardOut):
    balances: WalletOut  # the player's wallet after the grant

    @classmethod
    def of_grant(cls, granted: GrantedReward) -> RewardGrantOut:
        return cls(**_reward_fields(granted.reward), balances=WalletOut.of(granted.balances))
