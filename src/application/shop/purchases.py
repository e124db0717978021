"""Buying gems: price on the server, check, reserve, charge, settle — and finish what a failure left open.

A buy runs in three steps with the gateway between them: (1) one database transaction records the pending
transaction with its promo use and stock hold; (2) the gateway authorizes and captures, keyed by (user, client
Idempotency-Key) so no retry ever makes a second charge; (3) one database transaction settles it. A capture that fails
leaves the transaction authorized and a `capture_payment` job retries it with backoff; whatever is still open
after PENDING_TX_MAX_AGE is reconciled with the gateway and voided by `void_stale_transactions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from src.application.shared.idempotency import KeyRecorder
from src.application.shared.jobs import JobQueueUnavailable
from src.application.shop.deps import PurchaseDeps
from src.application.shop.fraud import FraudBlocked, check_purchase_velocity
from src.application.shop.limits import enforce_limits
from src.application.shop.offers import Offer, find_offer, usable_promo
from src.application.shop.payments import (
    AuthorizationStatus,
    CaptureResult,
    ChargeStatus,
    GatewayTimeout,
    PaymentDeclined,
    PaymentStage,
)
from src.application.shop.ports import PurchaseUnitOfWork
from src.application.shop.purchase_keys import check_same_purchase, final_refusal
from src.application.shop.settlement import (
    give_back_reservations,
    grant_captured,
    grant_unchanged,
    seal,
    settle_captured,
    settle_unsuccessful,
)
from src.application.shop.transactions import BuyReads
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shop.catalog import discounted
from src.domain.shop.errors import PurchaseKeyTaken
from src.domain.shop.events import PurchaseUpdated
from src.domain.shop.transactions import (
    FailureReason,
    PurchaseKind,
    PurchaseTransaction,
    TxStatus,
    card_fingerprint,
    key_digest,
)
from src.domain.wallet.model import Currency

logger = structlog.get_logger("casino_club.shop")

CAPTURE_JOB = "capture_payment"
MAX_QUANTITY = 10
MAX_CARD_TOKEN_LENGTH = 128
SWEEP_BATCH = 100


@dataclass(frozen=True)
class BuyGems:
    user_id: str
    kind: PurchaseKind
    offer_id: str  # a catalog sku or a limited package id
    quantity: int
    card_token: str
    promo_code: str | None = None
    idempotency_key: str | None = None  # the client's key: one key opens one purchase, ever


@dataclass(frozen=True)
class PurchaseResult:
    transaction: PurchaseTransaction
    new_gem_balance: int
    earlier: bool = False  # the key's purchase was opened by an earlier request; this is its current state


def _check_input(cmd: BuyGems) -> None:
    problems = []
    if not 1 <= cmd.quantity <= MAX_QUANTITY:
        problems.append({"key": "quantity", "message": f"quantity must be between 1 and {MAX_QUANTITY}"})
    if not 1 <= len(cmd.card_token) <= MAX_CARD_TOKEN_LENGTH:
        problems.append({"key": "card_token", "message": f"card_token must be 1-{MAX_CARD_TOKEN_LENGTH} characters"})
    if problems:
        raise InvalidInput("the purchase is not valid", details={"fields": problems})


async def buy(cmd: BuyGems, deps: PurchaseDeps, recorder: KeyRecorder[PurchaseResult] | None = None) -> PurchaseResult:
    """The whole buy flow; refusals raise DomainErrors with API.md's codes (the HTTP layer stores them too).

    A key that already opened a purchase gets that purchase back (see purchase_keys), never a second charge. Given
    the request's claimed `recorder`, a capture stores the answer under the key in its settling transaction."""
    _check_input(cmd)
    key_hash = None if cmd.idempotency_key is None else key_digest(cmd.idempotency_key)
    earlier_or_priced = await _earlier_or_priced(cmd, key_hash, deps)
    if isinstance(earlier_or_priced, PurchaseResult):
        return earlier_or_priced
    tx, offer = earlier_or_priced
    try:
        await _check_velocity(tx, deps)
        opened = await _open(tx, offer, deps)
    except PurchaseKeyTaken:  # a concurrent request with the same key opened it first
        if key_hash is None or (earlier := await _opened_by_key(cmd, key_hash, deps)) is None:
            raise
        return earlier
    return await _charge(tx, cmd.card_token, deps, recorder, opened)


async def _opened_by_key(cmd: BuyGems, key_hash: str, deps: PurchaseDeps) -> PurchaseResult | None:
    async with deps.uow_factory() as uow:
        return await _earlier(uow, cmd, key_hash)


async def _earlier(
    uow: PurchaseUnitOfWork, cmd: BuyGems, key_hash: str, reads: BuyReads | None = None
) -> PurchaseResult | None:
    tx = reads.earlier if reads is not None else await uow.transactions.get_by_key(cmd.user_id, key_hash)
    if tx is None:
        return None
    check_same_purchase(tx, cmd.kind, cmd.offer_id, cmd.quantity, card_fingerprint(cmd.card_token))
    if (refusal := final_refusal(tx)) is not None:
        raise refusal
    return PurchaseResult(tx, await _gem_balance(uow, tx), earlier=True)


async def _earlier_or_priced(
    cmd: BuyGems, key_hash: str | None, deps: PurchaseDeps
) -> PurchaseResult | tuple[PurchaseTransaction, Offer]:
    """One read transaction for both: the purchase this key opened already, else a new pending one. A catalog buy
    first reads the buyer's remote-config discount (LiveOps' own read), the same one the listing priced with."""
    catalog = cmd.kind is PurchaseKind.CATALOG
    remote = await deps.remote_discount(cmd.user_id) if catalog else None
    async with deps.uow_factory() as uow:
        # a catalog buy's key, buyer and item in one read where the store has it
        reads = await uow.transactions.buy_reads(cmd.user_id, key_hash, cmd.offer_id) if catalog else None
        if key_hash is not None and (earlier := await _earlier(uow, cmd, key_hash, reads)) is not None:
            return earlier
        return await _priced(uow, cmd, key_hash, deps, remote, reads)


async def _priced(
    uow: PurchaseUnitOfWork,
    cmd: BuyGems,
    key_hash: str | None,
    deps: PurchaseDeps,
    remote: tuple[str, int] | None = None,
    reads: BuyReads | None = None,
) -> tuple[PurchaseTransaction, Offer]:
    """A new pending transaction at the server's price now (with the promo, when usable)."""
    now = deps.clock.now()
    offer = await find_offer(uow, cmd.kind, cmd.offer_id, cmd.user_id, now, deps.member_discount, remote, reads)
    promo = await usable_promo(uow, cmd.promo_code, now)
    unit_price = discounted(offer.unit_price_cents, promo.discount_percent) if promo else offer.unit_price_cents
    tx = PurchaseTransaction.start(
        id=deps.ids.new_id(),
        user_id=cmd.user_id,
        sku=offer.offer_id,
        kind=cmd.kind,
        quantity=cmd.quantity,
        amount_cents=unit_price * cmd.quantity,
        currency=offer.currency,
        gems=offer.gems * cmd.quantity,
        card_token_fingerprint=card_fingerprint(cmd.card_token),
        at=now,
        promo_code=promo.code if promo else None,
        idempotency_key_hash=key_hash,
    )
    return tx, offer


async def _check_velocity(tx: PurchaseTransaction, deps: PurchaseDeps) -> None:
    """A blocked attempt is still recorded: a failed transaction with reason FRAUD_BLOCK."""
    try:
        await check_purchase_velocity(deps.cache, tx.user_id, tx.card_token_fingerprint, deps.config.velocity)
    except FraudBlocked:
        tx.fail(FailureReason.FRAUD_BLOCK, tx.created_at)
        async with deps.uow_factory() as uow:
            await uow.transactions.add(tx, seal(tx, deps))
            uow.record(PurchaseUpdated.of(tx))
            await uow.commit()
        raise


async def _open(tx: PurchaseTransaction, offer: Offer, deps: PurchaseDeps) -> str:
    """The pending transaction, its promo use and its stock hold: all or nothing (refusals roll back). Returns the
    integrity hash stored with it (what the settlement checks the row against)."""
    now = tx.created_at
    sealed = seal(tx, deps)
    async with deps.uow_factory() as uow:
        # nothing to reserve (no promo use, no stock hold) and limits that refuse nothing: one step where it exists
        plain = not tx.promo_code and tx.kind is PurchaseKind.CATALOG
        if plain and await uow.transactions.open_unlimited(tx, sealed, [PurchaseUpdated.of(tx)]):
            await uow.commit()
            return sealed
        await enforce_limits(uow, tx)
        await uow.transactions.add(tx, sealed)
        if tx.promo_code:
            await uow.promos.reserve(tx.promo_code, tx.id, tx.user_id, now)
        if tx.kind is PurchaseKind.LIMITED:
            limit = offer.per_user_limit or tx.quantity
            expires_at = now + deps.config.hold_ttl
            await uow.limited.hold(tx.sku, tx.user_id, tx.id, tx.quantity, limit, now, expires_at)
        uow.record(PurchaseUpdated.of(tx))
        await uow.commit()
    return sealed


async def _charge(
    tx: PurchaseTransaction,
    card_token: str,
    deps: PurchaseDeps,
    recorder: KeyRecorder[PurchaseResult] | None,
    opened_hash: str | None = None,
) -> PurchaseResult:
    """`opened_hash`: the integrity hash `tx` was opened with, by this request (`tx` is that state)."""
    try:
        authorization = await deps.gateway.authorize(
            idempotency_key=tx.payment_key, amount_cents=tx.amount_cents, currency=tx.currency, card_token=card_token
        )
    except PaymentDeclined:
        await _close(tx.id, deps, TxStatus.FAILED, FailureReason.PAYMENT_DECLINED)
        raise
    except GatewayTimeout:
        # the outcome is unknown: never success; the job asks the gateway what became of the charge
        await _schedule_capture(tx.id, deps, attempts_made=1)
        return await _result(tx.id, deps)
    if authorization.status is AuthorizationStatus.PENDING:
        await _note_pending_charge(tx.id, authorization.charge_id, deps)
        return await _result(tx.id, deps)
    opened = None if opened_hash is None else (tx, opened_hash)
    result = await _attempt_capture(tx.id, authorization.charge_id, deps, recorder, opened)
    if result.transaction.status is TxStatus.FAILED:
        raise PaymentDeclined(PaymentStage.CAPTURE, "capture_failed")
    return result


async def _note_pending_charge(tx_id: str, charge_id: str, deps: PurchaseDeps) -> None:
    """The gateway settles this charge later by webhook; remember which charge it is."""
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get_for_update(tx_id)
        if tx is None or tx.is_settled:
            return
        tx.charge_id = charge_id
        await uow.transactions.update(tx, seal(tx, deps))
        await uow.commit()


async def _attempt_capture(
    tx_id: str,
    charge_id: str,
    deps: PurchaseDeps,
    recorder: KeyRecorder[PurchaseResult] | None = None,
    opened: tuple[PurchaseTransaction, str] | None = None,
) -> PurchaseResult:
    """One capture try; settles on success or on the last failed try, else schedules the next try. A capture
    answers the buy's `recorder` (its Idempotency-Key) in the same transaction. `opened`: the transaction as this
    request opened it and that state's integrity hash (see `_grant_as_opened`)."""
    try:
        result = await deps.gateway.capture(charge_id)
    except GatewayTimeout:
        result = CaptureResult(captured=False, gateway_code="timeout")
    if result.captured and opened is not None:
        granted = await _grant_as_opened(opened[0], opened[1], charge_id, deps, recorder)
        if granted is not None:
            return granted
    async with deps.uow_factory() as uow:
        tx = await _locked(uow, tx_id)
        if tx.is_settled:
            return PurchaseResult(tx, await _gem_balance(uow, tx))
        now = deps.clock.now()
        if tx.status is TxStatus.PENDING:
            tx.authorize(charge_id, now)
        tx.record_capture_attempt(now)
        last_try = tx.capture_attempts >= deps.config.capture_max_attempts
        balance = None
        if result.captured:
            balance = await grant_captured(uow, tx, deps, "captured")
        elif last_try:
            await _void_quietly(charge_id, deps)
            await settle_unsuccessful(uow, tx, deps, TxStatus.FAILED, FailureReason.CAPTURE_FAILED)
        else:
            await uow.transactions.update(tx, seal(tx, deps))
        if balance is None:
            balance = await _gem_balance(uow, tx)
        elif recorder is not None:
            await recorder.record(uow.idempotency_records, PurchaseResult(tx, balance))
        await uow.commit()
    if not tx.is_settled:
        await _schedule_capture(tx.id, deps, tx.capture_attempts)
    return PurchaseResult(tx, balance)


async def _grant_as_opened(
    tx: PurchaseTransaction,
    opened_hash: str,
    charge_id: str,
    deps: PurchaseDeps,
    recorder: KeyRecorder[PurchaseResult] | None,
) -> PurchaseResult | None:
    """The usual buy's capture settled without reading its transaction back: the pending state this request opened
    (`tx`, moved on here) is authorized, captured and granted in a step that writes only if the stored row is still
    that state (no webhook, job or sweep moved it meanwhile; it is then waited for). None when it moved, or when the
    purchase has a promo use or a stock hold to settle too: the caller settles it the locked way."""
    if tx.promo_code or tx.kind is not PurchaseKind.CATALOG or tx.status is not TxStatus.PENDING:
        return None
    async with deps.uow_factory() as uow:
        now = deps.clock.now()
        tx.authorize(charge_id, now)
        tx.record_capture_attempt(now)
        answer = (
            None if recorder is None else (lambda: recorder.held_answer(lambda balance: PurchaseResult(tx, balance)))
        )
        granted = await grant_unchanged(uow, tx, deps, opened_hash, "captured", answer)
        if granted is None:
            return None
        result = PurchaseResult(tx, granted.balance_after)
        if granted.committed:
            # written at once, the key's answer with it where it could be (else `run_claimed` stores it next)
            if granted.answered and recorder is not None:
                recorder.answered_with(granted.balance_after)
            return result
        if recorder is not None:
            await recorder.record(uow.idempotency_records, result)
        await uow.commit()
    return result


async def _gem_balance(uow: PurchaseUnitOfWork, tx: PurchaseTransaction) -> int:
    return (await uow.wallets.balances(tx.user_id)).get(Currency.GEMS, 0)


async def _locked(uow: PurchaseUnitOfWork, tx_id: str) -> PurchaseTransaction:
    tx = await uow.transactions.get_for_update(tx_id)
    if tx is None:
        raise NotFound("no such transaction")
    return tx


async def _void_quietly(charge_id: str, deps: PurchaseDeps) -> None:
    """Release the authorization; a gateway that refuses or does not answer lets it lapse on its own."""
    try:
        await deps.gateway.void(charge_id)
    except (PaymentDeclined, GatewayTimeout):
        return


async def _schedule_capture(tx_id: str, deps: PurchaseDeps, attempts_made: int) -> None:
    """Queue the next try. If the queue is down the purchase is still safe: it stays open in the database and the
    stale sweep settles it with the gateway later, so the player gets `pending` rather than an error."""
    delay = deps.config.capture_delay(attempts_made)
    try:
        await deps.jobs.enqueue(
            CAPTURE_JOB, {"transaction_id": tx_id}, delay_seconds=delay, job_id=f"capture:{tx_id}:{attempts_made}"
        )
    except JobQueueUnavailable:
        logger.warning("capture retry not queued; the stale sweep will settle it", transaction_id=tx_id)


async def _close(tx_id: str, deps: PurchaseDeps, status: TxStatus, reason: FailureReason) -> bool:
    async with deps.uow_factory() as uow:
        changed = await settle_unsuccessful(uow, await _locked(uow, tx_id), deps, status, reason)
        await uow.commit()
    return changed


async def _settle_as_captured(tx_id: str, deps: PurchaseDeps, reason: str) -> bool:
    async with deps.uow_factory() as uow:
        changed = await settle_captured(uow, await _locked(uow, tx_id), deps, reason)
        await uow.commit()
    return changed


async def _result(tx_id: str, deps: PurchaseDeps) -> PurchaseResult:
    async with deps.uow_factory() as uow:
        tx = await _locked(uow, tx_id)
        return PurchaseResult(tx, await _gem_balance(uow, tx))


async def retry_capture(transaction_id: str, deps: PurchaseDeps) -> None:
    """The `capture_payment` job: ask the gateway where the charge stands and move the transaction on.

    Safe to run any number of times: a settled transaction is left alone, and the ledger grants once."""
    async with deps.uow_factory() as uow:
        tx = await uow.transactions.get(transaction_id)
    if tx is None or tx.is_settled:
        return
    charge_id = tx.charge_id or await deps.gateway.find_charge(tx.payment_key)
    if charge_id is None:
        return  # the charge never reached the gateway: the stale sweep closes the transaction
    status = await deps.gateway.charge_status(charge_id)
    if status is ChargeStatus.CAPTURED:
        await _settle_as_captured(tx.id, deps, "reconciled")
    elif status in (ChargeStatus.FAILED, ChargeStatus.VOIDED):
        await _close(tx.id, deps, TxStatus.FAILED, FailureReason.CAPTURE_FAILED)
    elif status is ChargeStatus.AUTHORIZED:
        await _attempt_capture(tx.id, charge_id, deps)  # queues the next try itself while tries remain
    # PENDING waits for the gateway's webhook; REFUNDED and UNKNOWN are left to the stale sweep


async def _void_or_reconcile(tx: PurchaseTransaction, deps: PurchaseDeps, reason: FailureReason) -> bool:
    """Void an open transaction unless the gateway captured it meanwhile (then it is granted instead)."""
    charge_id = tx.charge_id or await deps.gateway.find_charge(tx.payment_key)
    if charge_id is not None:
        try:
            await deps.gateway.void(charge_id)
        except GatewayTimeout:
            return False  # try again on the next sweep
        except PaymentDeclined:
            if await deps.gateway.charge_status(charge_id) is ChargeStatus.CAPTURED:
                await _settle_as_captured(tx.id, deps, "reconciled")
                return False
    return await _close(tx.id, deps, TxStatus.VOIDED, reason)


async def void_stale_transactions(deps: PurchaseDeps) -> int:
    """Cron: transactions pending or authorized for longer than PENDING_TX_MAX_AGE become voided."""
    cutoff = deps.clock.now() - deps.config.pending_max_age
    async with deps.uow_factory() as uow:
        stale = await uow.transactions.list_unsettled_before(cutoff, SWEEP_BATCH)
    voided = 0
    for tx in stale:
        voided += await _void_or_reconcile(tx, deps, FailureReason.STALE_AUTO_VOID)
    return voided


async def release_expired_holds(deps: PurchaseDeps) -> int:
    """Cron: a hold past its TTL ends its purchase (voided, PENDING_TIMEOUT) and gives the stock back."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        expired = await uow.limited.expired_holds(now, SWEEP_BATCH)
    released = 0
    for tx_id in expired:
        async with deps.uow_factory() as uow:
            tx = await uow.transactions.get(tx_id)
        if tx is not None and not tx.is_settled:
            released += await _void_or_reconcile(tx, deps, FailureReason.PENDING_TIMEOUT)
            continue
        async with deps.uow_factory() as uow:  # a settled purchase whose hold was left behind
            if tx is not None and tx.status is TxStatus.CAPTURED:
                await uow.limited.finalize(tx_id, now)
            elif tx is not None:
                await give_back_reservations(uow, tx, deps)
            else:
                await uow.limited.release(tx_id, now)
            await uow.commit()
        released += 1
    return released
