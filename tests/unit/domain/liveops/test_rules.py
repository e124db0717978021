"""The segment rule language: what parses, what it means, and where a bad rule goes wrong."""

from __future__ import annotations

import random
import string

import pytest

from src.domain.liveops.rules import All, Any_, Compare, In, Not, RuleError, matches, parse

PLAYER = {
    "rank": "VIP", "vip_tier": 3, "rfm": "Whale", "ltv_cents": 25_000, "churn_risk": 10, "total_spent_cents": 20_000,
    "spent_30d_cents": 5_000, "plays_30d": 40, "purchases_30d": 2, "days_since_last_play": 8,
    "days_since_last_login": 2, "days_since_signup": 100, "streak": 4,
}  # fmt: skip


def test_precedence_is_not_then_and_then_or() -> None:
    sut = parse("streak > 1 or not rank = 'VIP' and plays_30d >= 2")

    assert sut == Any_(
        (Compare("streak", ">", 1), All((Not(Compare("rank", "=", "VIP")), Compare("plays_30d", ">=", 2))))
    )


def test_keywords_are_case_insensitive_and_lists_take_not_in() -> None:
    sut = parse('rfm NOT IN ("Low", "At-risk") AND vip_tier In (1, 2, 3)')

    assert sut == All((In("rfm", ("Low", "At-risk"), negated=True), In("vip_tier", (1, 2, 3))))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("ltv_cents >= 10000 and days_since_last_play > 7 and rank in ('VIP', 'PREMIUM')", True),
        ("ltv_cents >= 10000 and days_since_last_play > 8", False),
        ("(rfm = 'Low' or rfm == 'Whale') and not churn_risk > 50", True),
        ("vip_tier != 3 or streak < 4", False),
        ("plays_30d <= 40 and purchases_30d >= -1", True),
        ("rank not in ('VIP')", False),
    ],
)
def test_a_rule_means_what_it_says(rule: str, expected: bool) -> None:
    assert matches(parse(rule), PLAYER) is expected


@pytest.mark.parametrize(
    ("rule", "position", "says"),
    [
        ("ltv_cents >= ", 13, "expected a value"),
        ("wealth > 3", 0, "unknown property 'wealth'"),
        ("vip_tier in ('gold')", 13, "takes a whole number"),
        ("rank > 'A'", 0, "is a text"),
        ("streak > 1 streak", 11, "expected 'and', 'or' or the end"),
        ("streak >> 1", 8, "expected a value"),
        ("streak > 1 and (rank = 'VIP'", 28, "expected ')'"),
        ("rank = 'VIP", 7, "unexpected character"),
        ("streak in 1", 10, "'(' to open the list"),
        ("   ", 0, "empty"),
        ("not " * 40 + "streak > 1", 128, "nested deeper"),
    ],
)
def test_a_bad_rule_says_where_and_what(rule: str, position: int, says: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse(rule)

    assert refused.value.position == position
    assert says in refused.value.message
    assert refused.value.details == {
        "fields": [{"key": "rule", "message": refused.value.message, "source": "body", "position": position}],
        "position": position,
    }


def test_any_text_either_parses_or_is_refused_with_a_position_inside_it() -> None:
    alphabet = string.ascii_letters + string.digits + " ()'\"=<>!,_-"
    words = ["and", "or", "not", "in", "streak", "rank", "'VIP'", "3", "(", ")", ">=", "=", ","]
    generator = random.Random(13)
    for _ in range(3000):
        if generator.random() < 0.5:
            text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 30)))
        else:
            text = " ".join(generator.choice(words) for _ in range(generator.randint(1, 12)))
        positions = []
        try:
            matches(parse(text), PLAYER)
        except RuleError as refused:
            positions.append(refused.position)
        assert all(0 <= position <= len(text) for position in positions)
