"""Shop routes: the catalog, buying gems (catalog items and limited packages), own transactions, receipts."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.shared.idempotency import KeyRecorder
from src.application.shop import receipts
from src.application.shop.catalog import ShopDeps, list_catalog
from src.application.shop.deps import PurchaseDeps
from src.application.shop.purchase_keys import was_paid
from src.application.shop.purchases import BuyGems, PurchaseResult, buy
from src.domain.shared.principal import Principal
from src.domain.shop.transactions import PurchaseKind
from src.entrypoints.http.idempotency import NotFinal, idempotency_key, idempotent_claimed
from src.entrypoints.http.metrics import PURCHASE_ANSWERS
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.shop import BuyIn, BuyOut, CatalogItemOut, LimitedBuyIn, ReceiptIn, ReceiptOut
from src.entrypoints.http.schemas.transactions import TransactionOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
BUY_RESPONSES = {HTTP_200_OK: ResponseSpec(BuyOut, description="Captured, or pending (replayed as is for a key)")}


def provide_shop(request: Request[Any, Any, Any]) -> ShopDeps:
    return container_of(request).shop


def provide_purchases(request: Request[Any, Any, Any]) -> PurchaseDeps:
    return container_of(request).purchases


SHOP = {"shop": Provide(provide_shop, sync_to_thread=False)}
PURCHASES = {"purchases": Provide(provide_purchases, sync_to_thread=False)}


def _buy_out(result: PurchaseResult, deps: PurchaseDeps) -> BuyOut:
    tx = result.transaction
    return BuyOut(
        transaction_id=tx.id,
        status="captured" if was_paid(tx) else "pending",
        charge_id=tx.charge_id,
        amount_cents=tx.amount_cents,
        currency=tx.currency,
        gems_granted=tx.gems_granted,
        new_gem_balance=result.new_gem_balance,
        receipt_signature=receipts.receipt_for(tx, deps),
    )


async def _buy(
    request: PrincipalRequest, command: BuyGems, body_key: str | None, deps: PurchaseDeps
) -> Response[bytes]:
    command = replace(command, idempotency_key=idempotency_key(request, body_key, required=True))

    async def run(recorder: KeyRecorder[PurchaseResult] | None) -> PurchaseResult:
        result = await buy(command, deps, recorder)
        if not result.earlier:
            PURCHASE_ANSWERS.labels(status="captured" if was_paid(result.transaction) else "pending").inc()
        return result

    def present(result: PurchaseResult) -> BuyOut | NotFinal:
        answer = _buy_out(result, deps)
        # the key's earlier request died with its purchase open: answer its state, store only the final one
        return NotFinal(answer) if result.earlier and not result.transaction.is_settled else answer

    return await idempotent_claimed(request, request.user.user_id, run, present, required=True, body_key=body_key)


class ShopController(Controller):
    path = "/api/shop"
    tags = ["shop"]  # noqa: RUF012
    dependencies = {**SHOP, **PURCHASES}  # noqa: RUF012

    @get("/catalog", operation_id="shop_catalog")
    async def catalog(self, request: PrincipalRequest, shop: NamedDependency[ShopDeps]) -> list[CatalogItemOut]:
        """Enabled items with the price the server will charge the caller now (`final_price_cents`: the item's
        discount, then the caller's VIP discount `vip_discount_percent`; a promo code comes off at buy)."""
        return [CatalogItemOut.of(priced) for priced in await list_catalog(shop, viewer_id=request.user.user_id)]

    @post("/buy", operation_id="shop_buy", status_code=HTTP_200_OK, responses=BUY_RESPONSES)
    async def buy_item(
        self, request: PrincipalRequest, data: JSONBody[BuyIn], purchases: NamedDependency[PurchaseDeps]
    ) -> Response[bytes]:
        """Idempotency-Key required. 403 RANK_REQUIRED/DISABLED, 402 PAYMENT_FAILED, 429 FRAUD_BLOCK, PROMO_*."""
        command = BuyGems(
            request.user.user_id, PurchaseKind.CATALOG, data.sku, data.quantity, data.card_token, data.promo_code
        )
        return await _buy(request, command, data.idempotency_key, purchases)

    @post("/limited/buy", operation_id="shop_limited_buy", status_code=HTTP_200_OK, responses=BUY_RESPONSES)
    async def buy_limited(
        self, request: PrincipalRequest, data: JSONBody[LimitedBuyIn], purchases: NamedDependency[PurchaseDeps]
    ) -> Response[bytes]:
        """As /buy; refusals OUT_OF_STOCK, DISABLED, WINDOW_CLOSED, USER_LIMIT, PROMO_*."""
        command = BuyGems(
            request.user.user_id, PurchaseKind.LIMITED, data.package_id, data.quantity, data.card_token, data.promo_code
        )
        return await _buy(request, command, data.idempotency_key, purchases)

    @get("/transactions", operation_id="shop_transactions")
    async def transactions(
        self, request: PrincipalRequest, purchases: NamedDependency[PurchaseDeps], limit: Limit, cursor: Cursor
    ) -> ListOut[TransactionOut]:
        """The caller's own purchases, newest first."""
        page = await receipts.my_transactions(request.user.user_id, limit, cursor, purchases)
        return ListOut(items=[TransactionOut.of(tx) for tx in page.items], next_cursor=page.next_cursor)

    @get("/transactions/{transaction_id:str}", operation_id="shop_transaction")
    async def transaction(
        self, request: PrincipalRequest, transaction_id: FromPath[str], purchases: NamedDependency[PurchaseDeps]
    ) -> TransactionOut:
        """One of the caller's purchases; anyone else's is 404."""
        return TransactionOut.of(await receipts.my_transaction(request.user.user_id, transaction_id, purchases))

    @post("/receipts/verify", operation_id="shop_verify_receipt", status_code=HTTP_200_OK)
    async def verify_receipt(
        self, request: PrincipalRequest, data: JSONBody[ReceiptIn], purchases: NamedDependency[PurchaseDeps]
    ) -> ReceiptOut:
        valid = await receipts.verify_receipt(
            request.user.user_id, data.transaction_id, data.receipt_signature, purchases
        )
        return ReceiptOut(valid=valid)
