"""VIP tiers: constants of the game, each reached by total spend OR by activity points (either path qualifies).

Rules (API.md only says "spend and activity based; upgrades are automatic", so they are decided here):
- spend is what the shop charged, net of refunds (`Spending.total_spent_cents`); activity points are plays:
  1 point per slot spin and 1 per gacha item pulled (a 10-pull is 10 points);
- the earned tier is the highest tier whose spend or activity threshold is met; tier 0 "Member" needs nothing;
- the stored tier (`User.vip_tier`) is raised automatically to the earned one, never lowered; an admin may set
  any tier up to MAX_VIP_TIER, and a stored tier above the top defined tier shows the top tier's name and
  benefits, with no next tier;
- progress is toward the tier after the stored one: the larger of the two paths' share of the way from the
  stored tier's threshold to the next tier's, floored to an integer 0-100;
- benefits are data and applied by the server: the shop takes `shop_discount_percent` off a catalog item's gem
  price (after the item's own discount, before a promo code), `daily_bonus_coins` is paid once per calendar day
  on request, and a streak tick's reward is scaled by `streak_reward_multiplier_percent` (rounded down);
- the upgrade check runs on running totals (spend, activity) kept per player as events arrive: a player's tier
  is only looked at when the totals cross the next threshold the player has not yet earned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VipBenefits:
    daily_bonus_coins: int
    shop_discount_percent: int
    streak_reward_multiplier_percent: int  # 100 = the plain streak reward


@dataclass(frozen=True)
class VipTier:
    tier: int
    name: str
    min_spent_cents: int
    min_activity_points: int
    benefits: VipBenefits


TIERS: tuple[VipTier, ...] = (
    VipTier(0, "Member", 0, 0, VipBenefits(0, 0, 100)),
    VipTier(1, "Bronze", 499, 200, VipBenefits(100, 2, 110)),
    VipTier(2, "Silver", 1_999, 1_000, VipBenefits(250, 5, 125)),
    VipTier(3, "Gold", 4_999, 5_000, VipBenefits(500, 7, 150)),
    VipTier(4, "Platinum", 19_999, 20_000, VipBenefits(1_000, 10, 175)),
    VipTier(5, "Diamond", 49_999, 50_000, VipBenefits(2_500, 15, 200)),
)
TOP_TIER = TIERS[-1].tier  # within the account policy's MAX_VIP_TIER (a unit test holds it there)


@dataclass(frozen=True)
class VipStanding:
    """Where a player stands: their (stored) tier, what it gives, and how far the next tier is."""

    tier: int
    current: VipTier
    spent_cents: int
    activity_points: int
    next_tier: VipTier | None
    progress_percent: int


def activity_points(slot_spins: int, gacha_pulls: int) -> int:
    return slot_spins + gacha_pulls


def qualifies(tier: VipTier, spent_cents: int, points: int) -> bool:
    return spent_cents >= tier.min_spent_cents or points >= tier.min_activity_points


def earned_tier(spent_cents: int, points: int) -> VipTier:
    """The highest tier either path reaches."""
    return max((tier for tier in TIERS if qualifies(tier, spent_cents, points)), key=lambda tier: tier.tier)


def tier_of(stored: int) -> VipTier:
    """The defined tier a stored tier shows as (tiers above the top one show the top one)."""
    return TIERS[min(max(stored, 0), TOP_TIER)]


def _share(value: int, low: int, high: int) -> int:
    if high <= low:
        return 100
    return max(0, min(100, (value - low) * 100 // (high - low)))


def standing(stored: int, spent_cents: int, points: int) -> VipStanding:
    current = tier_of(stored)
    upcoming = TIERS[stored + 1] if 0 <= stored < TOP_TIER else None
    if upcoming is None:
        progress = 100
    else:
        by_spend = _share(spent_cents, current.min_spent_cents, upcoming.min_spent_cents)
        by_activity = _share(points, current.min_activity_points, upcoming.min_activity_points)
        progress = max(by_spend, by_activity)
    return VipStanding(stored, current, spent_cents, points, upcoming, progress)


def benefits_of(stored: int) -> VipBenefits:
    """What a stored tier gives (tiers above the top one give the top one's)."""
    return tier_of(stored).benefits


def shop_discount_percent(stored: int) -> int:
    return benefits_of(stored).shop_discount_percent


def boosted(amount: int, stored: int) -> int:
    """A streak reward amount under the tier's multiplier, rounded down."""
    return amount * benefits_of(stored).streak_reward_multiplier_percent // 100


@dataclass(frozen=True)
class VipTierChange:
    """One change of a player's stored tier: by the automatic upgrade ("earned") or by an admin ("admin")."""

    user_id: str
    from_tier: int | None  # None when the event that told of it did not say
    to_tier: int
    reason: str
    changed_at: datetime
    event_id: str


@dataclass(frozen=True)
class VipTotals:
    """A player's running totals and the highest tier they have earned so far (never lowered)."""

    user_id: str
    spent_cents: int
    activity_points: int
    earned_tier: int

    def newly_earned(self) -> VipTier | None:
        """The tier the totals now reach when it is above the one already earned; None when nothing was crossed."""
        earned = earned_tier(self.spent_cents, self.activity_points)
        return earned if earned.tier > self.earned_tier else None
