"""The admins' view of purchases: every user's, filtered by status, user, sku and creation time."""

from __future__ import annotations

from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shop.deps import PurchaseDeps
from src.application.shop.transactions import TransactionFilters
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shop.transactions import PurchaseTransaction


async def search_transactions(
    filters: TransactionFilters, limit: int | None, cursor: str | None, deps: PurchaseDeps
) -> Page[PurchaseTransaction]:
    """Newest first; `created_from` is inclusive and `created_to` exclusive."""
    start, end = filters.created_from, filters.created_to
    if start is not None and end is not None and start > end:
        raise InvalidInput("from must not be after to", details={"fields": [{"key": "from"}, {"key": "to"}]})
    async with deps.uow_factory() as uow:
        return await uow.transactions.list_filtered(filters, check_limit(limit), decode_cursor(cursor))


async def get_transaction(tx_id: str, deps: PurchaseDeps) -> PurchaseTransaction:
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get(tx_id)
    if tx is None:
        raise NotFound("no such transaction")
    return tx
