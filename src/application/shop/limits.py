"""The responsible-gaming limits at the shop: checked in the transaction that opens a purchase, and reported."""

from __future__ import annotations

from src.application.shop.deps import PurchaseDeps
from src.application.shop.ports import PurchaseUnitOfWork
from src.domain.limits.model import PURCHASE_FIELDS, PURCHASE_WINDOWS, check_purchase, check_restriction
from src.domain.shop.transactions import PurchaseTransaction

LONGEST_WINDOW = max(PURCHASE_WINDOWS.values())


async def enforce_limits(uow: PurchaseUnitOfWork, tx: PurchaseTransaction) -> None:
    """With the buyer's limits locked, so concurrent buys of one player are counted one after another: a time-out
    or self-exclusion refuses, and the purchase must fit every purchase limit with what is in flight or paid."""
    now = tx.created_at
    limits = (await uow.limits.lock(tx.user_id)).settled(now)
    check_restriction(limits.restriction, now)
    if any(limits.values[name] is not None for name in PURCHASE_FIELDS.values()):
        spent = await uow.transactions.spent_since(tx.user_id, now - LONGEST_WINDOW)
        check_purchase(limits, spent, tx.amount_cents, now)


async def purchase_usage(user_id: str, deps: PurchaseDeps) -> dict[str, int]:
    """Cents counted against each purchase limit now: `daily`, `weekly`, `monthly`."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        spent = await uow.transactions.spent_since(user_id, now - LONGEST_WINDOW)
    return {period: sum(c for at, c in spent if at > now - window) for period, window in PURCHASE_WINDOWS.items()}
