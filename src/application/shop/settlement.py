"""How a purchase settles, inside the caller's unit of work (the transaction row locked by the caller).

Captured: the gems are granted through the ledger (its unique reference makes a second grant impossible), the
promo use is confirmed and the stock hold becomes sold, all in the one database transaction. Unsuccessful: the
hold and the promo use are given back. Every change stores the transaction with a fresh integrity hash and
records PurchaseUpdated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from src.application.shared.idempotency import HeldAnswer
from src.application.shop.deps import PurchaseDeps
from src.application.shop.ports import PurchaseUnitOfWork
from src.application.shop.transactions import PurchaseMoved
from src.application.wallet.ledger import Grant, announce_credit, credit, credit_events, unwritten_entry
from src.domain.shop.events import PurchaseUpdated
from src.domain.shop.receipts import integrity_hash
from src.domain.shop.transactions import FailureReason, PurchaseKind, PurchaseTransaction, TxStatus
from src.domain.wallet.model import Currency, Movement

PURCHASE_REASON = "purchase"
PURCHASE_REF_TYPE = "purchase"


def seal(tx: PurchaseTransaction, deps: PurchaseDeps) -> str:
    return integrity_hash(tx, deps.config.integrity_key_id, deps.config.integrity_secret)


async def save_transaction(uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps) -> None:
    """Store the transaction's new state with its integrity hash, and tell the world it changed."""
    await uow.transactions.update(tx, seal(tx, deps))
    uow.record(PurchaseUpdated.of(tx))


async def settle_captured(
    uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps, reason: str | None = None
) -> bool:
    """Captured → grant once. False (and nothing changes) when it was captured, or settled otherwise, before."""
    return await grant_captured(uow, tx, deps, reason) is not None


async def grant_captured(
    uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps, reason: str | None = None
) -> int | None:
    """`settle_captured` that answers the buyer's gem balance after the grant (None: nothing changed), so the
    buy's answer needs no second read of the wallet."""
    if tx.is_settled:
        return None
    now = deps.clock.now()
    tx.capture(now, reason)
    # promo before stock, in every path, so two purchases never wait on each other's rows
    if tx.promo_code:
        await uow.promos.confirm(tx.id, now)
    if tx.kind is PurchaseKind.LIMITED:
        await uow.limited.finalize(tx.id, now)
    gems = Movement(tx.user_id, Currency.GEMS, tx.gems, PURCHASE_REASON, PURCHASE_REF_TYPE, tx.id)
    granted = await credit(uow, gems, now, Grant(PURCHASE_REASON))
    await save_transaction(uow, tx, deps)
    return granted.balance_after


@dataclass(frozen=True)
class Granted:
    balance_after: int
    committed: bool  # written at once with its events by the store (its own transaction): nothing left to commit
    answered: bool = False  # committed with the held answer on the request's own claim


async def grant_unchanged(
    uow: PurchaseUnitOfWork,
    tx: PurchaseTransaction,
    deps: PurchaseDeps,
    seen_hash: str,
    reason: str | None = None,
    answer: Callable[[], HeldAnswer | None] | None = None,
) -> Granted | None:
    """`grant_captured` for an open transaction the caller holds as it last wrote it (integrity hash `seen_hash`)
    without a lock, and with no promo use or stock hold to settle: the new state and the grant are written only if
    the stored transaction is still that state, at once with their events where the store can (`grant_at_once`),
    else in the caller's unit of work. `answer`: the buy's key's answer once `tx` is captured (held for the
    balance after), stored with a write at once. None (nothing written, nothing recorded) when it changed
    meanwhile: the caller then settles it the locked way."""
    now = deps.clock.now()
    tx.capture(now, reason)
    gems = Movement(tx.user_id, Currency.GEMS, tx.gems, PURCHASE_REASON, PURCHASE_REF_TYPE, tx.id)
    sealed, grant = seal(tx, deps), Grant(PURCHASE_REASON)
    events = [*credit_events(unwritten_entry(gems, now), grant), PurchaseUpdated.of(tx)]
    held = None if answer is None else answer()
    try:
        at_once = await uow.transactions.grant_at_once(tx, sealed, seen_hash, gems, now, events, held)
    except PurchaseMoved:
        return None
    if at_once is not None:
        return Granted(at_once.entry.balance_after, committed=True, answered=at_once.answered)
    entry = await uow.transactions.grant_if_unchanged(tx, sealed, seen_hash, gems, now)
    if entry is None:
        return None
    announce_credit(uow, entry, grant)
    uow.record(PurchaseUpdated.of(tx))
    return Granted(entry.balance_after, committed=False)


async def settle_unsuccessful(
    uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps, status: TxStatus, reason: FailureReason
) -> bool:
    """Failed or voided: nothing is granted, the hold and the promo use go back. False when already settled."""
    if tx.is_settled:
        return False
    now = deps.clock.now()
    if status is TxStatus.VOIDED:
        tx.void(reason, now)
    else:
        tx.fail(reason, now)
    await give_back_reservations(uow, tx, deps)
    await save_transaction(uow, tx, deps)
    return True


async def give_back_reservations(uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps) -> None:
    """Release the promo use and the stock hold, in the order a buy takes them (a repeat is a no-op)."""
    now = deps.clock.now()
    if tx.promo_code:
        await uow.promos.release(tx.id, now)
    if tx.kind is PurchaseKind.LIMITED:
        await uow.limited.release(tx.id, now)
