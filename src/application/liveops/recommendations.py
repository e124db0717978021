"""`GET /api/recommend/personalized`: what the player can act on now, ranked for who they are.

Candidates come from their owners' use cases (the shop's catalog and limited packages with the player's purchases,
the player's missions, the games), are filtered here to what the player can buy or do right now, and ranked by
src/domain/liveops/recommendations.py from the player's profile (RFM group, churn risk, signup age, spend) and their
plays per game over the last 30 days. The player's remote-config `featured_banner` (their experiment variant,
else their segment's override) leads the list when it names something they can buy. A player on a time-out or
self-exclusion gets no recommendation at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.engagement.deps import MissionDeps
from src.application.engagement.missions import list_missions
from src.application.limits.controls import LimitsDeps, get_limits
from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.remote_config import player_config
from src.application.shop.catalog import PricedItem, ShopDeps, list_catalog
from src.application.shop.limited_packages import LimitedDeps, PlayerPackage, player_catalog
from src.domain.games.play import GameType
from src.domain.liveops.recommendations import Candidate, Kind, Player, Recommendation, recommend
from src.domain.shared.principal import Rank

GAME_TITLES = {GameType.SLOT: "the slot", GameType.GACHA: "the gacha"}
RECENT_DAYS = 60  # favourite games: long enough to remember what a lapsed player liked


@dataclass(frozen=True)
class RecommendationDeps:
    liveops: LiveOpsDeps
    shop: ShopDeps
    limited: LimitedDeps
    missions: MissionDeps
    limits: LimitsDeps


def buyable_item(priced: PricedItem, rank: Rank) -> bool:
    return priced.item.enabled and rank.at_least(priced.item.min_rank)


def buyable_package(view: PlayerPackage, rank: Rank, now: datetime) -> bool:
    """Enabled, inside its window, in stock, under the player's own limit (a one-time offer bought once is done)."""
    package = view.package
    return (
        package.enabled
        and package.starts_at <= now <= package.ends_at
        and package.stock_remaining > 0
        and view.user_purchased < package.per_user_limit
        and rank.at_least(package.min_rank)
    )


async def personalized(user_id: str, rank: Rank, deps: RecommendationDeps) -> list[Recommendation]:
    now = deps.liveops.clock.now()
    if (await get_limits(user_id, deps.limits)).active_restriction(now) is not None:
        return []
    player = await _player(user_id, now, deps.liveops)
    candidates = await _candidates(user_id, rank, now, deps)
    featured = (await player_config(user_id, deps.liveops))["featured_banner"].value
    return recommend(player, candidates, featured=featured)


async def _player(user_id: str, now: datetime, deps: LiveOpsDeps) -> Player:
    async with deps.uow_factory() as uow:
        profile = await uow.segments.profile(user_id)
        plays = await uow.segments.recent_plays(user_id, now, RECENT_DAYS)
        signup_days = await uow.segments.days_since_signup(user_id, now)
    if profile is None:  # before the first recompute: a player known only by signup age
        return Player(None, 0, signup_days, 0, plays)
    return Player(profile.rfm, profile.churn_risk, signup_days, profile.total_spent_cents, plays)


async def _candidates(user_id: str, rank: Rank, now: datetime, deps: RecommendationDeps) -> list[Candidate]:
    items = [
        Candidate(Kind.SHOP_ITEM, p.item.sku, p.item.name, p.final_price_cents, on_sale=p.discount_active)
        for p in await list_catalog(deps.shop, viewer_id=user_id)
        if buyable_item(p, rank)
    ]
    packages = [
        Candidate(Kind.LIMITED_PACKAGE, v.package.package_id, v.package.name, v.package.price_cents,
                  stock_left=v.package.stock_remaining)
        for v in await player_catalog(user_id, deps.limited)
        if buyable_package(v, rank, now)
    ]  # fmt: skip
    board = await list_missions(user_id, deps.missions)
    missions = [
        Candidate(Kind.MISSION, m.definition.mission_id, m.definition.title, claimable=m.claimable)
        for m in board.items
        if not m.claimed
    ]
    games = [Candidate(Kind.GAME, game.value, GAME_TITLES[game]) for game in GameType]
    return items + packages + missions + games
