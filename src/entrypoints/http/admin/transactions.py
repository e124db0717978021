"""Admin purchase transactions: search every user's, look one up, refund one (Idempotency-Key required)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT, HTTP_503_SERVICE_UNAVAILABLE

from src.application.shop.admin_transactions import get_transaction, search_transactions
from src.application.shop.deps import PurchaseDeps
from src.application.shop.payments import GatewayTimeout
from src.application.shop.refunds import RefundPurchase, refund_purchase
from src.application.shop.transactions import TransactionFilters
from src.domain.shared.principal import Principal
from src.domain.shop.transactions import TxStatus
from src.entrypoints.http.idempotency import idempotent
from src.entrypoints.http.query import From, To, as_utc
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.transactions import RefundIn, RefundOut, TransactionOut
from src.entrypoints.http.security import client_info
from src.entrypoints.http.shop import PURCHASES

Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
Text = Annotated[str | None, QueryParameter(max_length=64)]

REFUND_RESPONSES = {
    HTTP_200_OK: ResponseSpec(RefundOut, description="The refund (replayed as is for a repeated key)"),
    HTTP_404_NOT_FOUND: ResponseSpec(None, description="NOT_FOUND: no such transaction"),
    HTTP_409_CONFLICT: ResponseSpec(None, description="NOT_REFUNDABLE: not captured; or IDEMPOTENCY_IN_PROGRESS"),
    HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(None, description="The gateway did not answer; retry with the same key"),
}


class AdminTransactionController(Controller):
    path = "/transactions"
    tags = ["admin"]  # noqa: RUF012
    dependencies = PURCHASES

    @get("/", operation_id="admin_transactions")
    async def search(
        self,
        purchases: NamedDependency[PurchaseDeps],
        limit: Limit = None,
        cursor: Cursor = None,
        status: Annotated[TxStatus | None, QueryParameter()] = None,
        user_id: Text = None,
        sku: Text = None,
        created_from: From = None,
        created_to: To = None,
    ) -> ListOut[TransactionOut]:
        """Every user's purchases, newest first; filters combine (`from` inclusive, `to` exclusive)."""
        filters = TransactionFilters(status, user_id, sku, as_utc(created_from), as_utc(created_to))
        page = await search_transactions(filters, limit, cursor, purchases)
        return ListOut(items=[TransactionOut.of(tx) for tx in page.items], next_cursor=page.next_cursor)

    @get("/{transaction_id:str}", operation_id="admin_transaction")
    async def detail(self, transaction_id: FromPath[str], purchases: NamedDependency[PurchaseDeps]) -> TransactionOut:
        return TransactionOut.of(await get_transaction(transaction_id, purchases))

    @post(
        "/{transaction_id:str}/refund",
        operation_id="admin_refund_transaction",
        status_code=HTTP_200_OK,
        responses=REFUND_RESPONSES,
    )
    async def refund(
        self,
        request: Request[Principal, Any, Any],
        transaction_id: FromPath[str],
        purchases: NamedDependency[PurchaseDeps],
        data: JSONBody[RefundIn | None] = None,
    ) -> Response[bytes]:
        """Refund a captured purchase in full: the gems the balance still holds are clawed back, the rest is
        recorded as `outstanding_gems` (never a negative balance). A refunded one answers its refund again;
        any other state is 409 NOT_REFUNDABLE."""
        body = data or RefundIn()
        command = RefundPurchase(request.user, client_info(request), transaction_id, body.reason)

        async def run() -> RefundOut:
            try:
                return RefundOut.of(await refund_purchase(command, purchases))
            except GatewayTimeout as timeout:
                # not an answer to remember under the key: 503 releases it, so the same key can try again
                raise ServiceUnavailableException(headers={"Retry-After": "5"}) from timeout

        return await idempotent(request, request.user.user_id, run, required=True, body_key=body.idempotency_key)
