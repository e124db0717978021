"""Wallet routes: balances and the caller's own ledger."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from src.application.wallet import handlers
from src.application.wallet.deps import WalletDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.wallet import LedgerEntryOut, WalletOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=64)]


def provide_wallet(request: Request[Any, Any, Any]) -> WalletDeps:
    return container_of(request).wallet


WALLET = {"wallet": Provide(provide_wallet, sync_to_thread=False)}


class WalletController(Controller):
    path = "/api/wallet"
    tags = ["wallet"]  # noqa: RUF012
    dependencies = WALLET

    @get("/", operation_id="wallet")
    async def balances(self, request: PrincipalRequest) -> WalletOut:
        # the container's deps taken here, not injected: the most frequent read skips Litestar's resolution of a
        # dependency (a signature model parse and a provider call per request)
        return WalletOut.of(await handlers.get_balances(request.user.user_id, container_of(request).wallet))

    @get("/ledger", operation_id="wallet_ledger")
    async def ledger(
        self, request: PrincipalRequest, wallet: NamedDependency[WalletDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[LedgerEntryOut]:
        page = await handlers.list_ledger(request.user.user_id, limit, cursor, wallet)
        return ListOut(items=[LedgerEntryOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)
