"""Personalized recommendations for the calling player."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from src.application.liveops.recommendations import personalized
from src.domain.liveops.recommendations import Recommendation
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import Struct
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]


class RecommendationOut(Struct):
    kind: str  # shop_item | limited_package | mission | game
    id: str  # a sku, a package id, a mission id or a game type
    title: str
    reason: str  # why this player sees it, readable
    score: int  # 0-100, the list is sorted by it

    @classmethod
    def of(cls, item: Recommendation) -> RecommendationOut:
        return cls(kind=item.kind.value, id=item.id, title=item.title, reason=item.reason, score=item.score)


class RecommendationsOut(Struct):
    items: list[RecommendationOut]


class RecommendationController(Controller):
    path = "/api/recommend"
    tags = ["liveops"]  # noqa: RUF012

    @get("/personalized", operation_id="recommend_personalized")
    async def recommended(self, request: PrincipalRequest) -> RecommendationsOut:
        """Ranked from the player's segment (RFM group), churn risk, signup age and recent plays; only what the
        player can buy or do now (in stock, in its window, under their limit, rank high enough), nothing at all
        while a time-out or self-exclusion holds. Deterministic for a given state."""
        container = container_of(request)
        items = await personalized(request.user.user_id, request.user.rank, container.recommendations())
        return RecommendationsOut(items=[RecommendationOut.of(item) for item in items])
