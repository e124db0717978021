"""Feedback rules: the most specific situation wins, the variant is a pure function of the context, and every
situation has messages in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.engagement.feedback import (
    ActionType,
    Outcome,
    PlayerContext,
    RecentPlay,
    Situation,
    parse_request,
    situation_of,
    variant_index,
)
from src.domain.engagement.feedback_messages import LANGUAGES, MESSAGES
from src.domain.shared.errors import InvalidInput

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _context(*plays: RecentPlay, streak: int = 0, raised: datetime | None = None) -> PlayerContext:
    return PlayerContext(list(plays), streak, raised, NOW)


def _loss(n: int) -> RecentPlay:
    return RecentPlay(f"l{n}", 100, 0, False, ("cherry", "lemon", "bell"))


def _win(n: int, payout: int = 150) -> RecentPlay:
    return RecentPlay(f"w{n}", 100, payout, True, ("bar", "bar", "lemon"))


@pytest.mark.parametrize(
    ("plays", "action", "outcome", "expected"),
    [
        ((), None, None, Situation.WELCOME),
        ((_win(1, 1_000),), ActionType.SPIN, None, Situation.BIG_WIN),
        ((RecentPlay("n", 100, 0, False, ("seven", "bar", "seven")),), ActionType.SPIN, None, Situation.NEAR_MISS),
        ((RecentPlay("p", 100, 50, True, ("bar", "bar", "lemon")),), ActionType.SPIN, None, Situation.NEAR_MISS),
        ((_loss(1), _loss(2)), ActionType.SPIN, Outcome.LOSS, Situation.LOSS),
        ((_loss(1), _loss(2), _loss(3)), ActionType.SPIN, Outcome.LOSS, Situation.LOSS_STREAK),
        ((_win(1), _win(2), _win(3), _loss(4)), ActionType.SPIN, Outcome.WIN, Situation.WIN_STREAK),
        ((_win(1), _loss(2), _win(3)), ActionType.SPIN, Outcome.WIN, Situation.WIN),
        ((), ActionType.PURCHASE, None, Situation.PURCHASE),
        ((), ActionType.LEVEL_UP, None, Situation.LEVEL_UP),
    ],
)
def test_the_most_specific_situation_holds(
    plays: tuple[RecentPlay, ...], action: ActionType | None, outcome: Outcome | None, expected: Situation
) -> None:
    assert situation_of(action, outcome, _context(*plays)) is expected


@pytest.mark.parametrize(("streak", "expected"), [(7, Situation.STREAK_MILESTONE), (8, Situation.STREAK_TICK)])
def test_a_tick_at_a_milestone_is_celebrated(streak: int, expected: Situation) -> None:
    assert situation_of(ActionType.STREAK, None, _context(streak=streak)) is expected


def test_a_tier_raise_is_a_level_up_for_a_day() -> None:
    fresh = _context(raised=NOW - timedelta(hours=23))
    stale = _context(raised=NOW - timedelta(hours=25))

    assert situation_of(None, None, fresh) is Situation.LEVEL_UP
    assert situation_of(None, None, stale) is Situation.WELCOME


def test_the_variant_depends_on_the_context_only_and_spreads_over_the_variants() -> None:
    chosen = {variant_index(Situation.WIN, _context(_win(n)), 3) for n in range(60)}

    assert variant_index(Situation.WIN, _context(_win(1)), 3) == variant_index(Situation.WIN, _context(_win(1)), 3)
    assert chosen == {0, 1, 2}


def test_every_situation_has_two_or_more_variants_in_every_language() -> None:
    assert set(MESSAGES) == set(Situation)
    for variants in MESSAGES.values():
        assert len(variants) >= 2
        for variant in variants:
            assert all(variant.text(language) for language in LANGUAGES)
            assert variant.emotion
            assert variant.animation_key


def test_unknown_values_are_refused_naming_the_field() -> None:
    assert parse_request("", None) == (None, None)
    with pytest.raises(InvalidInput) as refused:
        parse_request("spin", "tie")

    assert refused.value.details == {
        "fields": [{"key": "outcome", "message": refused.value.message, "source": "query"}]
    }
