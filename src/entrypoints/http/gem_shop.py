"""Gem shop routes: items the game consumes (the streak shield), bought with gems at the caller's VIP price."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.engagement import gem_shop
from src.application.engagement.deps import EngagementDeps
from src.application.shared.idempotency import KeyRecorder
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotency_key, idempotent_in_work
from src.entrypoints.http.schemas.gem_shop import GemItemBuyIn, GemItemOut, GemItemPurchaseOut, GemItemsOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_engagement(request: Request[Any, Any, Any]) -> EngagementDeps:
    return container_of(request).engagement


class GemShopController(Controller):
    path = "/api/shop/items"
    tags = ["shop"]  # noqa: RUF012
    dependencies = {"engagement": Provide(provide_engagement, sync_to_thread=False)}  # noqa: RUF012

    @get("/", operation_id="shop_gem_items")
    async def items(self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps]) -> GemItemsOut:
        """Items sold for gems, at the caller's price (`final_price_gems`: the VIP discount taken off)."""
        offers = await gem_shop.gem_catalog(request.user.user_id, engagement)
        return GemItemsOut(items=[GemItemOut.of(priced) for priced in offers])

    @post(
        "/buy",
        operation_id="shop_gem_item_buy",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(GemItemPurchaseOut, description="The items and the gems they cost")},
    )
    async def buy(
        self,
        request: PrincipalRequest,
        data: JSONBody[GemItemBuyIn],
        engagement: NamedDependency[EngagementDeps],
    ) -> Response[bytes]:
        """Idempotency-Key required: one gem debit and the items, once. 409 INSUFFICIENT_FUNDS, 404 for an item
        not sold for gems, 400 for a quantity past the item's most per purchase."""
        key = idempotency_key(request, data.idempotency_key, required=True) or ""  # missing: 400 raised here

        command = gem_shop.BuyGemItem(request.user.user_id, data.item_id, data.quantity, key)

        async def run(recorder: KeyRecorder[gem_shop.GemItemPurchase] | None) -> gem_shop.GemItemPurchase:
            return await gem_shop.buy_gem_item(command, engagement, recorder)

        return await idempotent_in_work(
            request, request.user.user_id, run, GemItemPurchaseOut.of, required=True, body_key=data.idempotency_key
        )
