"""Admin promo codes: create (audit-logged) and list with their use counts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from src.application.shop.deps import PurchaseDeps
from src.application.shop.promotions import CreatePromoCode, create_promo_code, list_promo_codes
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.limited import PromoCodeIn, PromoCodeOut
from src.entrypoints.http.security import client_info
from src.entrypoints.http.shop import PURCHASES

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]


class AdminPromoCodeController(Controller):
    path = "/promo-codes"
    tags = ["admin"]  # noqa: RUF012
    dependencies = PURCHASES

    @post("/", operation_id="admin_create_promo_code")
    async def create(
        self, request: PrincipalRequest, data: JSONBody[PromoCodeIn], purchases: NamedDependency[PurchaseDeps]
    ) -> PromoCodeOut:
        """Codes are case-insensitive (stored upper-case); a taken code → 409 PROMO_CODE_TAKEN."""
        command = CreatePromoCode(
            admin=request.user,
            client=client_info(request),
            code=data.code,
            discount_percent=data.discount_percent,
            max_uses=data.max_uses,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            enabled=data.enabled,
        )
        return PromoCodeOut.of(await create_promo_code(command, purchases))

    @get("/", operation_id="admin_promo_codes")
    async def codes(
        self, purchases: NamedDependency[PurchaseDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[PromoCodeOut]:
        page = await list_promo_codes(limit, cursor, purchases)
        return ListOut(items=[PromoCodeOut.of(promo) for promo in page.items], next_cursor=page.next_cursor)
