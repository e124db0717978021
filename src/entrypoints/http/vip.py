"""VIP routes: the tier table (any signed-in player) and the caller's own standing."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide

from src.application.engagement import vip
from src.application.engagement.vip import VipDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.vip import VipStatusOut, VipTierOut, VipTiersOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_vip(request: Request[Any, Any, Any]) -> VipDeps:
    """The VIP use cases read identity, the shop's spending and the games' play summary."""
    container = container_of(request)
    return VipDeps(container.identity.uow_factory, container.clock, container.purchases, container.games)


class VipController(Controller):
    path = "/api/vip"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = {"vip_deps": Provide(provide_vip, sync_to_thread=False)}  # noqa: RUF012

    @get("/tiers", operation_id="vip_tiers")
    async def tiers(self) -> VipTiersOut:
        """Every tier with what reaches it (spend OR activity points) and its benefits, lowest first."""
        return VipTiersOut(items=[VipTierOut.of(tier) for tier in vip.vip_tiers()])

    @get("/status", operation_id="vip_status")
    async def status(self, request: PrincipalRequest, vip_deps: NamedDependency[VipDeps]) -> VipStatusOut:
        """The caller's tier, its benefits, spend and activity so far, and progress toward the next tier."""
        return VipStatusOut.of(await vip.vip_status(request.user.user_id, vip_deps))
