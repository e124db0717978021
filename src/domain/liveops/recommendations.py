"""Personalized recommendations: candidates the player can act on now, scored by who the player is.

Only buyable candidates come in (the caller filters: enabled, inside the window, in stock, under the player's
limit, rank high enough; nothing to buy or play while a time-out or self-exclusion holds). The score is the sum of
the rules below that hold, each with its reason; the best reason is shown. Ties break by kind and id, so a given
state always gives the same list; at most PER_KIND of each kind, MAX_ITEMS in all.

Who the player is (first match): `new` (signed up within NEW_DAYS and never paid), `at_risk` (RFM At-risk or churn
risk >= AT_RISK_RISK), `big_spender` (Whale or High), else `regular`.
- new: the cheapest shop item (a starter pack), open missions, the slot (the first game);
- at_risk: open missions first (welcome back), the game they played most, items on sale; no limited packages;
- big_spender: limited packages on sale (scarcity), the biggest shop items, the game they played most;
- regular: mid-priced shop items, items on sale, missions, the game they played most.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from src.domain.liveops.rfm import RfmGroup

NEW_DAYS = 7
AT_RISK_RISK = 60
MAX_ITEMS = 10
PER_KIND = 3


class Persona(StrEnum):
    NEW = "new"
    AT_RISK = "at_risk"
    BIG_SPENDER = "big_spender"
    REGULAR = "regular"


class Kind(StrEnum):
    SHOP_ITEM = "shop_item"
    LIMITED_PACKAGE = "limited_package"
    MISSION = "mission"
    GAME = "game"


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    id: str
    title: str
    price_cents: int = 0  # shop items and packages
    on_sale: bool = False  # a discount in force
    stock_left: int | None = None  # limited packages
    claimable: bool = False  # missions: completed, reward waiting


@dataclass(frozen=True)
class Player:
    rfm: RfmGroup | None  # None before the first recompute: treated by signup age and spend
    churn_risk: int
    days_since_signup: int
    total_spent_cents: int
    plays_by_game: dict[str, int]  # last 60 days


@dataclass(frozen=True)
class Recommendation:
    kind: Kind
    id: str
    title: str
    reason: str
    score: int


def persona(player: Player) -> Persona:
    if player.days_since_signup <= NEW_DAYS and player.total_spent_cents == 0:
        return Persona.NEW
    if player.rfm is RfmGroup.AT_RISK or player.churn_risk >= AT_RISK_RISK:
        return Persona.AT_RISK
    if player.rfm in (RfmGroup.WHALE, RfmGroup.HIGH):
        return Persona.BIG_SPENDER
    return Persona.REGULAR


FEATURED_REASON = "featured for you"


def recommend(
    player: Player, candidates: list[Candidate], limit: int = MAX_ITEMS, featured: str | None = None
) -> list[Recommendation]:
    """`featured`: the player's remote-config `featured_banner`; when it names one of the candidates (all of which
    the player can buy or do) it leads the list, taking a place of its kind; otherwise it changes nothing."""
    who = persona(player)
    prices = sorted({c.price_cents for c in candidates if c.kind is Kind.SHOP_ITEM})
    scored = []
    for candidate in candidates:
        rules = _rules(who, player, candidate, prices)
        if rules:
            reason = max(rules)[1]
            total = min(100, sum(points for points, _ in rules))
            scored.append(Recommendation(candidate.kind, candidate.id, candidate.title, reason, total))
    scored.sort(key=lambda r: (-r.score, r.kind.value, r.id))
    lead = next((c for c in candidates if featured is not None and c.id == featured), None)
    if lead is not None:
        scored = [r for r in scored if (r.kind, r.id) != (lead.kind, lead.id)]
        scored.insert(0, Recommendation(lead.kind, lead.id, lead.title, FEATURED_REASON, 100))
    taken: dict[Kind, int] = {}
    chosen = []
    for item in scored:  # a mix: at most PER_KIND of each kind, the best of each
        if taken.get(item.kind, 0) < PER_KIND:
            taken[item.kind] = taken.get(item.kind, 0) + 1
            chosen.append(item)
    return chosen[:limit]


def _favourite(player: Player) -> str | None:
    played = [(count, game) for game, count in player.plays_by_game.items() if count > 0]
    return max(played)[1] if played else None


def _rules(who: Persona, player: Player, candidate: Candidate, prices: list[int]) -> list[tuple[int, str]]:
    """(points, reason) of every rule that holds for the candidate."""
    if candidate.kind is Kind.GAME:
        return _game_rules(who, player, candidate)
    if candidate.kind is Kind.MISSION:
        return _mission_rules(who, candidate)
    if candidate.kind is Kind.LIMITED_PACKAGE:
        if who is Persona.BIG_SPENDER:
            return [(60, f"limited offer: {candidate.stock_left} left")]
        return [(20, "a limited offer")] if who is Persona.REGULAR else []
    return _shop_rules(who, candidate, prices)


def _game_rules(who: Persona, player: Player, candidate: Candidate) -> list[tuple[int, str]]:
    favourite = _favourite(player)
    if who is Persona.NEW:
        return [(40, "start here: spin the slot")] if candidate.id == "slot" else [(10, f"try {candidate.title}")]
    if candidate.id == favourite:
        reason = (
            f"welcome back: {candidate.title} misses you"
            if who is Persona.AT_RISK
            else f"you often play {candidate.title}"
        )
        return [(45, reason)]
    return [(10, f"try {candidate.title}")]


def _mission_rules(who: Persona, candidate: Candidate) -> list[tuple[int, str]]:
    if candidate.claimable:
        return [(70, "a reward is waiting: claim it")]
    if who is Persona.AT_RISK:
        return [(65, f"welcome back bonus: {candidate.title}")]
    if who is Persona.NEW:
        return [(50, f"your first missions pay: {candidate.title}")]
    return [(25, candidate.title)]


def _shop_rules(who: Persona, candidate: Candidate, prices: list[int]) -> list[tuple[int, str]]:
    rules: list[tuple[int, str]] = []
    if candidate.on_sale and who is not Persona.NEW:
        rules.append((35 if who is Persona.AT_RISK else 25, "on sale now"))
    if who is Persona.NEW and prices and candidate.price_cents == prices[0]:
        rules.append((45, "a starter pack to begin with"))
    elif who is Persona.BIG_SPENDER and prices and candidate.price_cents == prices[-1]:
        rules.append((50, "our biggest pack, for our best players"))
    elif who is Persona.REGULAR and prices and candidate.price_cents == prices[len(prices) // 2]:
        rules.append((30, "good value for how you play"))
    return rules
