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
- benefits are data; for now they are shown to the player, not yet applied by the shop or the streaks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VipBenefits:
    daily_bonus_coins: int
    shop_discount_percent: int  # display only for now
    streak_reward_multiplier_percent: int  # 100 = the plain streak reward; display only for now


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
