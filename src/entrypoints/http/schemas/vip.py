"""Wire formats of the VIP routes."""

from __future__ import annotations

from src.domain.engagement.vip import VipBenefits, VipStanding, VipTier
from src.entrypoints.http.schemas.identity import Struct


class VipBenefitsOut(Struct):
    daily_bonus_coins: int
    shop_discount_percent: int  # shown, not yet applied to shop prices
    streak_reward_multiplier_percent: int  # 100 = the plain streak reward; shown, not yet applied

    @classmethod
    def of(cls, benefits: VipBenefits) -> VipBenefitsOut:
        return cls(
            daily_bonus_coins=benefits.daily_bonus_coins,
            shop_discount_percent=benefits.shop_discount_percent,
            streak_reward_multiplier_percent=benefits.streak_reward_multiplier_percent,
        )


class NextVipTierOut(Struct):
    tier: int
    name: str
    min_spent_cents: int  # reached by total spend (net of refunds) of at least this ...
    min_activity_points: int  # ... or by at least this many points (1 per slot spin or gacha item)

    @classmethod
    def of(cls, tier: VipTier) -> NextVipTierOut:
        return cls(
            tier=tier.tier,
            name=tier.name,
            min_spent_cents=tier.min_spent_cents,
            min_activity_points=tier.min_activity_points,
        )


class VipTierOut(NextVipTierOut):
    benefits: VipBenefitsOut

    @classmethod
    def of(cls, tier: VipTier) -> VipTierOut:
        return cls(
            tier=tier.tier,
            name=tier.name,
            min_spent_cents=tier.min_spent_cents,
            min_activity_points=tier.min_activity_points,
            benefits=VipBenefitsOut.of(tier.benefits),
        )


class VipTiersOut(Struct):
    items: list[VipTierOut]  # lowest tier first


class VipStatusOut(Struct):
    tier: int  # the stored tier, which an admin may have set above the earned one
    name: str
    benefits: VipBenefitsOut
    spent_cents: int
    activity_points: int
    next_tier: NextVipTierOut | None  # null at the top tier
    progress_percent: int  # 0-100: the better of the two paths toward next_tier

    @classmethod
    def of(cls, standing: VipStanding) -> VipStatusOut:
        upcoming = standing.next_tier
        return cls(
            tier=standing.tier,
            name=standing.current.name,
            benefits=VipBenefitsOut.of(standing.current.benefits),
            spent_cents=standing.spent_cents,
            activity_points=standing.activity_points,
            next_tier=None if upcoming is None else NextVipTierOut.of(upcoming),
            progress_percent=standing.progress_percent,
        )
