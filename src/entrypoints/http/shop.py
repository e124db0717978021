"""Shop routes (catalog so far)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide

from src.application.shop.catalog import ShopDeps, list_catalog
from src.entrypoints.http.schemas.shop import CatalogItemOut
from src.entrypoints.http.security import container_of


def provide_shop(request: Request[Any, Any, Any]) -> ShopDeps:
    return container_of(request).shop


SHOP = {"shop": Provide(provide_shop, sync_to_thread=False)}


class ShopController(Controller):
    path = "/api/shop"
    tags = ["shop"]  # noqa: RUF012
    dependencies = SHOP

    @get("/catalog", operation_id="shop_catalog")
    async def catalog(self, shop: NamedDependency[ShopDeps]) -> list[CatalogItemOut]:
        """Enabled items with the price the server will charge now (`final_price_cents`)."""
        return [CatalogItemOut.of(priced) for priced in await list_catalog(shop)]
