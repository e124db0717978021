"""VIP routes: the tier table (any signed-in player), the caller's own standing, tier history and daily bonus."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.engagement import vip, vip_benefits
from src.application.engagement.deps import EngagementDeps
from src.application.engagement.vip import VipDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.vip import (
    DailyBonusOut,
    VipStatusOut,
    VipTierChangeOut,
    VipTierOut,
    VipTiersOut,
)
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=256)]


def provide_vip(request: Request[Any, Any, Any]) -> VipDeps:
    return container_of(request).vip()


def provide_engagement(request: Request[Any, Any, Any]) -> EngagementDeps:
    return container_of(request).engagement


class VipController(Controller):
    path = "/api/vip"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "vip_deps": Provide(provide_vip, sync_to_thread=False),
        "engagement": Provide(provide_engagement, sync_to_thread=False),
    }

    @get("/tiers", operation_id="vip_tiers")
    async def tiers(self) -> VipTiersOut:
        """Every tier with what reaches it (spend OR activity points) and its benefits, lowest first."""
        return VipTiersOut(items=[VipTierOut.of(tier) for tier in vip.vip_tiers()])

    @get("/status", operation_id="vip_status")
    async def status(
        self,
        request: PrincipalRequest,
        vip_deps: NamedDependency[VipDeps],
        engagement: NamedDependency[EngagementDeps],
    ) -> VipStatusOut:
        """The caller's tier, its benefits, spend and activity so far, progress toward the next tier, and whether
        today's daily bonus is still to claim."""
        standing = await vip.vip_status(request.user.user_id, vip_deps)
        bonus = await vip_benefits.daily_bonus_state(request.user.user_id, engagement)
        return VipStatusOut.of(standing, bonus)

    @get("/history", operation_id="vip_history")
    async def history(
        self,
        request: PrincipalRequest,
        engagement: NamedDependency[EngagementDeps],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[VipTierChangeOut]:
        """The caller's tier changes (automatic upgrades and an admin's changes), newest first."""
        page = await vip_benefits.vip_history(request.user.user_id, limit, cursor, engagement)
        return ListOut(items=[VipTierChangeOut.of(change) for change in page.items], next_cursor=page.next_cursor)

    @post("/daily-bonus", operation_id="vip_daily_bonus", status_code=HTTP_200_OK)
    async def daily_bonus(
        self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps]
    ) -> DailyBonusOut:
        """The tier's coins once per calendar day (game timezone): 409 ALREADY_CLAIMED after, 409 NOT_CLAIMABLE
        for a tier without a bonus. Concurrent claims pay once."""
        return DailyBonusOut.of(await vip_benefits.claim_daily_bonus(request.user.user_id, engagement))
