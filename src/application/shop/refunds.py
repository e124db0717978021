"""Refunds: the gateway returns the money, the ledger takes back the gems the balance still holds.

A balance never goes negative: `refund_split` claws back min(granted, balance) and records the rest on the
transaction as `outstanding_gems`. The same path serves the admin refund and the gateway's `charge.refunded`.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shop.deps import PurchaseDeps
from src.application.shop.ports import PurchaseUnitOfWork
from src.application.shop.settlement import give_back_reservations, save_transaction
from src.application.wallet.ledger import record_balance_change
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shared.principal import Principal
from src.domain.shop.errors import NotRefundable
from src.domain.shop.transactions import GatewayEvent, PurchaseTransaction, RefundSplit, TxStatus, refund_split
from src.domain.wallet.errors import InsufficientFunds
from src.domain.wallet.model import Currency, Movement

REFUND_REASON = "purchase_refund"
REFUND_REF_TYPE = "purchase"
CLAWBACK_TRIES = 5  # each try re-reads the balance a concurrent spend just lowered
MAX_NOTE_LENGTH = 200


async def gem_balance(uow: PurchaseUnitOfWork, user_id: str) -> int:
    return (await uow.wallets.balances(user_id)).get(Currency.GEMS, 0)


async def claw_back(uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps) -> RefundSplit:
    """Debit what the balance allows of the granted gems, through the ledger (one reference per purchase)."""
    for _ in range(CLAWBACK_TRIES):
        split = refund_split(tx.gems_granted, await gem_balance(uow, tx.user_id))
        if split.clawed_back == 0:
            return split
        movement = Movement(tx.user_id, Currency.GEMS, split.clawed_back, REFUND_REASON, REFUND_REF_TYPE, tx.id)
        try:
            entry = await uow.wallets.debit(movement, deps.clock.now())
        except InsufficientFunds:
            continue  # the user spent gems between the read and the debit: split again
        record_balance_change(uow, entry)
        return split
    raise InsufficientFunds(Currency.GEMS.value, tx.gems_granted)


async def refund_from_gateway(uow: PurchaseUnitOfWork, tx: PurchaseTransaction, deps: PurchaseDeps) -> bool:
    """`charge.refunded`, with `tx` locked. Captured: claw back. Still open: it ends refunded with nothing
    granted and gives its reservations back, so a late `charge.captured` cannot grant. Settled: no change."""
    if tx.status is TxStatus.CAPTURED:
        split = await claw_back(uow, tx, deps)
        changed = tx.apply_gateway_event(GatewayEvent.REFUNDED, deps.clock.now(), split=split)
    else:
        changed = tx.apply_gateway_event(GatewayEvent.REFUNDED, deps.clock.now())
        if changed:
            await give_back_reservations(uow, tx, deps)
    if changed:
        await save_transaction(uow, tx, deps)
    return changed


@dataclass(frozen=True)
class RefundPurchase:
    admin: Principal
    client: ClientInfo
    transaction_id: str
    note: str | None = None


@dataclass(frozen=True)
class RefundResult:
    transaction: PurchaseTransaction
    gem_balance: int


async def refund_purchase(cmd: RefundPurchase, deps: PurchaseDeps) -> RefundResult:
    """Admin refund of a captured purchase: the gateway first (its refund is idempotent, so a crash after it is
    finished by a retry or by the gateway's webhook), then one database transaction for ledger and state."""
    note = _checked_note(cmd.note)
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get(cmd.transaction_id)
        if tx is None:
            raise NotFound("no such transaction")
        if tx.status is TxStatus.REFUNDED:
            return RefundResult(tx, await gem_balance(uow, tx.user_id))
    if tx.status is not TxStatus.CAPTURED or tx.charge_id is None:
        raise NotRefundable(tx.status)
    await deps.gateway.refund(tx.charge_id, tx.amount_cents)
    return await _record_refund(cmd, note, deps)


async def _record_refund(cmd: RefundPurchase, note: str | None, deps: PurchaseDeps) -> RefundResult:
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get_for_update(cmd.transaction_id)
        if tx is None:
            raise NotFound("no such transaction")
        if tx.status is TxStatus.REFUNDED:  # a concurrent refund or the gateway's webhook got here first
            return RefundResult(tx, await gem_balance(uow, tx.user_id))
        if tx.status is not TxStatus.CAPTURED:
            raise NotRefundable(tx.status)
        split = await claw_back(uow, tx, deps)
        tx.refund(deps.clock.now(), tx.amount_cents, split.clawed_back, split.outstanding, reason=note or "admin")
        await save_transaction(uow, tx, deps)
        await write_audit(uow, _audit(cmd, tx, note), deps.ids, tx.updated_at)
        balance = await gem_balance(uow, tx.user_id)
        await uow.commit()
    return RefundResult(tx, balance)


def _audit(cmd: RefundPurchase, tx: PurchaseTransaction, note: str | None) -> AdminAction:
    payload = {
        "user_id": tx.user_id,
        "charge_id": tx.charge_id,
        "refunded_cents": tx.refunded_cents,
        "currency": tx.currency,
        "gems_granted": tx.gems_granted,
        "clawed_back_gems": tx.clawed_back_gems,
        "outstanding_gems": tx.outstanding_gems,
        "note": note,
    }
    return AdminAction(cmd.admin, cmd.client, "transaction.refund", "purchase_transaction", tx.id, payload)


def _checked_note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note.strip()) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            f"reason must be at most {MAX_NOTE_LENGTH} characters", details={"fields": [{"key": "reason"}]}
        )
    return note.strip()
