"""Admin catalog management (audit-logged)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.application.shop.catalog import (
    ChangeCatalogItem,
    SaveCatalogItem,
    ShopDeps,
    create_item,
    list_catalog,
    update_item,
)
from src.domain.shared.principal import Principal
from src.domain.shop.catalog import CatalogItem
from src.entrypoints.http.schemas.shop import CatalogItemChangesIn, CatalogItemIn, CatalogItemOut
from src.entrypoints.http.security import client_info
from src.entrypoints.http.shop import SHOP

PrincipalRequest = Request[Principal, Any, Any]


class AdminCatalogController(Controller):
    path = "/catalog/items"
    tags = ["admin"]  # noqa: RUF012
    dependencies = SHOP

    @get("/", operation_id="admin_catalog")
    async def items(self, shop: NamedDependency[ShopDeps]) -> list[CatalogItemOut]:
        """Every item, disabled ones included."""
        return [CatalogItemOut.of(priced) for priced in await list_catalog(shop, include_disabled=True)]

    @post("/", operation_id="admin_create_catalog_item")
    async def create(
        self, request: PrincipalRequest, data: JSONBody[CatalogItemIn], shop: NamedDependency[ShopDeps]
    ) -> CatalogItemOut:
        item = CatalogItem(
            sku=data.sku,
            name=data.name,
            description=data.description,
            price_cents=data.price_cents,
            currency=data.currency,
            gems=data.gems,
            min_rank=data.min_rank,
            enabled=data.enabled,
            discount_percent=data.discount_percent,
            discount_ends_at=data.discount_ends_at,
        )
        return CatalogItemOut.of(await create_item(SaveCatalogItem(request.user, client_info(request), item), shop))

    @put("/{sku:str}", operation_id="admin_update_catalog_item")
    async def update(
        self,
        request: PrincipalRequest,
        sku: FromPath[str],
        data: JSONBody[CatalogItemChangesIn],
        shop: NamedDependency[ShopDeps],
    ) -> CatalogItemOut:
        command = ChangeCatalogItem(request.user, client_info(request), sku, data.given())
        return CatalogItemOut.of(await update_item(command, shop))
