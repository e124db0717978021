"""VIP rules: tiers earned by spend or activity, the stored tier's standing, progress toward the next tier."""

from __future__ import annotations

from itertools import pairwise

import pytest

from src.domain.engagement.vip import TIERS, TOP_TIER, activity_points, earned_tier, standing, tier_of
from src.domain.identity.policies import MAX_VIP_TIER


def test_tiers_are_ordered_strictly_on_both_paths_and_within_the_account_policy() -> None:
    assert [tier.tier for tier in TIERS] == list(range(len(TIERS)))
    assert [tier.name for tier in TIERS] == ["Member", "Bronze", "Silver", "Gold", "Platinum", "Diamond"]
    assert (TIERS[0].min_spent_cents, TIERS[0].min_activity_points) == (0, 0)
    for lower, higher in pairwise(TIERS):
        assert lower.min_spent_cents < higher.min_spent_cents
        assert lower.min_activity_points < higher.min_activity_points
        assert lower.benefits.daily_bonus_coins < higher.benefits.daily_bonus_coins
    assert TOP_TIER <= MAX_VIP_TIER


@pytest.mark.parametrize(
    ("spent_cents", "points", "expected"),
    [
        (0, 0, 0),
        (498, 199, 0),
        (499, 0, 1),  # $4.99 alone
        (0, 200, 1),  # 200 plays alone
        (1_999, 0, 2),
        (0, 1_000, 2),
        (4_999, 10, 3),
        (100, 5_000, 3),
        (19_999, 0, 4),
        (0, 20_000, 4),
        (499, 50_000, 5),  # the better path wins
        (49_999, 0, 5),
        (10**9, 10**9, 5),
    ],
)
def test_the_earned_tier_is_the_highest_either_path_reaches(spent_cents: int, points: int, expected: int) -> None:
    assert earned_tier(spent_cents, points).tier == expected


def test_activity_is_one_point_per_spin_and_per_gacha_item() -> None:
    assert activity_points(slot_spins=150, gacha_pulls=50) == 200
    assert earned_tier(0, activity_points(150, 49)).tier == 0


def test_a_new_player_is_a_member_heading_for_bronze_at_zero_percent() -> None:
    sut = standing(0, 0, 0)

    assert (sut.tier, sut.current.name, sut.progress_percent) == (0, "Member", 0)
    assert sut.next_tier is not None
    assert (sut.next_tier.tier, sut.next_tier.name) == (1, "Bronze")


def test_progress_is_the_better_paths_share_of_the_band_floored() -> None:
    # Bronze → Silver: spend 499..1999 (1500 wide), activity 200..1000 (800 wide)
    assert standing(1, 499 + 750, 200).progress_percent == 50
    assert standing(1, 499, 200 + 200).progress_percent == 25
    assert standing(1, 499 + 750, 200 + 600).progress_percent == 75  # the larger of 50 and 75
    assert standing(1, 499 + 14, 200).progress_percent == 0  # 0.93 % floors to 0
    assert standing(0, 249, 0).progress_percent == 49  # 49.9 % floors to 49


def test_progress_is_clamped_to_0_and_100() -> None:
    assert standing(4, 0, 0).progress_percent == 0  # an admin-raised tier above what was earned
    assert standing(0, 10**6, 0).progress_percent == 100  # earned, not yet raised by the consumer


def test_the_top_tier_has_no_next_tier_and_full_progress() -> None:
    sut = standing(TOP_TIER, 0, 0)

    assert sut.next_tier is None
    assert sut.progress_percent == 100


def test_a_stored_tier_above_the_top_one_shows_the_top_tier() -> None:
    sut = standing(MAX_VIP_TIER, 0, 0)

    assert sut.tier == MAX_VIP_TIER
    assert sut.current == TIERS[-1]
    assert (sut.next_tier, sut.progress_percent) == (None, 100)
    assert tier_of(7).name == "Diamond"
