"""Recommendations rank the same candidates differently for a newcomer, an at-risk player and a big spender."""

from __future__ import annotations

from src.domain.liveops.recommendations import Candidate, Kind, Persona, Player, persona, recommend
from src.domain.liveops.rfm import RfmGroup

CANDIDATES = [
    Candidate(Kind.SHOP_ITEM, "small", "Small", 99),
    Candidate(Kind.SHOP_ITEM, "medium", "Medium", 499),
    Candidate(Kind.SHOP_ITEM, "big", "Big", 4999),
    Candidate(Kind.LIMITED_PACKAGE, "bundle", "Bundle", 1999, stock_left=7),
    Candidate(Kind.MISSION, "daily_spins", "Spin 20 times"),
    Candidate(Kind.GAME, "slot", "the slot"),
    Candidate(Kind.GAME, "gacha", "the gacha"),
]


def test_each_kind_of_player_sees_what_suits_them_first() -> None:
    newcomer = Player(None, 0, 1, 0, {})
    lapsed = Player(RfmGroup.AT_RISK, 80, 200, 20_000, {"gacha": 40, "slot": 2})
    whale = Player(RfmGroup.WHALE, 4, 300, 90_000, {"slot": 50})

    assert [persona(p) for p in (newcomer, lapsed, whale)] == [Persona.NEW, Persona.AT_RISK, Persona.BIG_SPENDER]
    first = {name: recommend(p, CANDIDATES)[0] for name, p in (("new", newcomer), ("lapsed", lapsed), ("whale", whale))}
    assert (first["new"].id, first["lapsed"].id, first["whale"].id) == ("daily_spins", "daily_spins", "bundle")
    assert first["lapsed"].reason.startswith("welcome back")
    assert first["whale"].reason == "limited offer: 7 left"
    assert [r.id for r in recommend(newcomer, CANDIDATES)][1:3] == ["small", "slot"]
    assert "bundle" not in [r.id for r in recommend(lapsed, CANDIDATES)]
    assert recommend(lapsed, CANDIDATES)[1].reason == "welcome back: the gacha misses you"


def test_the_same_state_gives_the_same_list_in_any_candidate_order() -> None:
    player = Player(RfmGroup.MEDIUM, 20, 60, 500, {"slot": 3})

    assert recommend(player, CANDIDATES) == recommend(player, list(reversed(CANDIDATES)))


def test_a_featured_candidate_leads_and_an_unknown_one_changes_nothing() -> None:
    player = Player(RfmGroup.MEDIUM, 20, 60, 500, {"slot": 3})
    plain = recommend(player, CANDIDATES)

    featured = recommend(player, CANDIDATES, featured="big")
    assert (featured[0].id, featured[0].reason) == ("big", "featured for you")
    assert [r.id for r in featured].count("big") == 1
    assert recommend(player, CANDIDATES, featured="not_a_candidate") == plain  # e.g. an item the player cannot buy
