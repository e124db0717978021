"""A player's own purchases, and the receipts they can prove them with."""

from __future__ import annotations

from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shop.deps import PurchaseDeps
from src.application.shop.transactions import Spending
from src.domain.shared.errors import NotFound
from src.domain.shop.receipts import receipt_is_valid, receipt_signature
from src.domain.shop.transactions import PurchaseTransaction


def receipt_for(tx: PurchaseTransaction, deps: PurchaseDeps) -> str:
    return receipt_signature(tx, deps.config.receipt_secret)


async def my_transactions(
    user_id: str, limit: int | None, cursor: str | None, deps: PurchaseDeps
) -> Page[PurchaseTransaction]:
    async with deps.uow_factory() as uow:
        return await uow.transactions.list_for_user(user_id, check_limit(limit), decode_cursor(cursor))


async def my_spending(user_id: str, deps: PurchaseDeps) -> Spending:
    async with deps.uow_factory() as uow:
        return await uow.transactions.spending(user_id)


async def my_transaction(user_id: str, tx_id: str, deps: PurchaseDeps) -> PurchaseTransaction:
    """Another user's transaction is NOT_FOUND, exactly like one that does not exist."""
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get_for_user(tx_id, user_id)
    if tx is None:
        raise NotFound("no such transaction")
    return tx


async def verify_receipt(user_id: str, tx_id: str, signature: str, deps: PurchaseDeps) -> bool:
    """Valid only for the caller's own transaction and the signature the server issued for it."""
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get_for_user(tx_id, user_id)
    return tx is not None and receipt_is_valid(tx, signature, deps.config.receipt_secret)
