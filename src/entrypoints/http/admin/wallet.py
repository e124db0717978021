"""Admin grant of coins or gems: Idempotency-Key required, audit-logged."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from src.application.wallet.deps import WalletDeps
from src.application.wallet.handlers import GrantCurrency, grant_currency
from src.domain.identity.model import Principal
from src.entrypoints.http.idempotency import idempotency_key, idempotent
from src.entrypoints.http.schemas.wallet import GrantIn, GrantOut
from src.entrypoints.http.security import client_info
from src.entrypoints.http.wallet import WALLET


class AdminWalletController(Controller):
    path = "/users"
    tags = ["admin"]  # noqa: RUF012
    dependencies = WALLET

    @post(
        "/{user_id:str}/grant",
        operation_id="admin_grant",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_201_CREATED: ResponseSpec(GrantOut, description="The grant (replayed as is for a repeated key)")
        },
    )
    async def grant(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        data: JSONBody[GrantIn],
        wallet: NamedDependency[WalletDeps],
    ) -> Response[bytes]:
        key = idempotency_key(request, data.idempotency_key, required=True) or ""
        command = GrantCurrency(
            admin=request.user,
            client=client_info(request),
            user_id=user_id,
            currency=data.currency,
            amount=data.amount,
            reason=data.reason,
            idempotency_key=key,
        )

        async def run() -> GrantOut:
            return GrantOut.of(await grant_currency(command, wallet))

        return await idempotent(
            request,
            request.user.user_id,
            run,
            required=True,
            body_key=data.idempotency_key,
            status_code=HTTP_201_CREATED,
        )
