"""Wire formats of the VIP routes."""

from __future__ import annotations

from datetime import date, datetime

from src.application.engagement.vip_benefits import DailyBonus, DailyBonusState
from src.domain.engagement.vip import VipBenefits, VipStanding, VipTier, VipTierChange, tier_of
from src.entrypoints.http.schemas.identity import Struct


class VipBenefitsOut(Struct):
    daily_bonus_coins: int  # paid once a calendar day by POST /api/vip/daily-bonus
    shop_discount_percent: int  # taken off catalog prices (shown in /api/shop/catalog, charged at buy)
    streak_reward_multiplier_percent: int  # 100 = the plain streak reward; applied to each tick's reward

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


class DailyBonusStateOut(Struct):
    coins: int  # what the tier pays a calendar day (0: none)
    claimed_today: bool
    available_at: datetime | None  # now when it can be claimed, else the next day's start; null without a bonus

    @classmethod
    def of(cls, state: DailyBonusState) -> DailyBonusStateOut:
        return cls(coins=state.coins, claimed_today=state.claimed_today, available_at=state.available_at)


class VipStatusOut(Struct):
    tier: int  # the stored tier, which an admin may have set above the earned one
    name: str
    benefits: VipBenefitsOut
    spent_cents: int
    activity_points: int
    next_tier: NextVipTierOut | None  # null at the top tier
    progress_percent: int  # 0-100: the better of the two paths toward next_tier
    daily_bonus: DailyBonusStateOut

    @classmethod
    def of(cls, standing: VipStanding, bonus: DailyBonusState) -> VipStatusOut:
        upcoming = standing.next_tier
        return cls(
            tier=standing.tier,
            name=standing.current.name,
            benefits=VipBenefitsOut.of(standing.current.benefits),
            spent_cents=standing.spent_cents,
            activity_points=standing.activity_points,
            next_tier=None if upcoming is None else NextVipTierOut.of(upcoming),
            progress_percent=standing.progress_percent,
            daily_bonus=DailyBonusStateOut.of(bonus),
        )


class DailyBonusOut(Struct):
    tier: int
    coins: int
    claimed_for: date  # the calendar day (game timezone) this bonus was for
    balances: dict[str, int]  # the coin balance after the credit
    next_available_at: datetime  # the start of the next calendar day

    @classmethod
    def of(cls, bonus: DailyBonus) -> DailyBonusOut:
        return cls(
            tier=bonus.tier,
            coins=bonus.coins,
            claimed_for=bonus.day,
            balances={"coins": bonus.balance_after},
            next_available_at=bonus.next_available_at,
        )


class VipTierChangeOut(Struct):
    from_tier: int | None  # null when not known
    to_tier: int
    name: str  # the name of to_tier
    reason: str  # "earned" (automatic upgrade) or "admin"
    changed_at: datetime

    @classmethod
    def of(cls, change: VipTierChange) -> VipTierChangeOut:
        return cls(
            from_tier=change.from_tier,
            to_tier=change.to_tier,
            name=tier_of(change.to_tier).name,
            reason=change.reason,
            changed_at=change.changed_at,
        )
