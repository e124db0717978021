"""Limited packages for players: what is on sale, how much stock is left, how many the caller has."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency

from src.application.shop.deps import PurchaseDeps
from src.application.shop.limited_packages import player_catalog
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.limited import LimitedPackageOut
from src.entrypoints.http.shop import PURCHASES

PrincipalRequest = Request[Principal, Any, Any]


class LimitedPackagesController(Controller):
    path = "/api/shop/limited"
    tags = ["shop"]  # noqa: RUF012
    dependencies = PURCHASES

    @get("/catalog", operation_id="shop_limited_catalog")
    async def catalog(
        self, request: PrincipalRequest, purchases: NamedDependency[PurchaseDeps]
    ) -> list[LimitedPackageOut]:
        """Enabled packages that have not ended: stock left, the caller's own purchases (captured or in flight)."""
        return [LimitedPackageOut.of(view) for view in await player_catalog(request.user.user_id, purchases)]
