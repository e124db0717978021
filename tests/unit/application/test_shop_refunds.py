"""Admin refunds on the in-memory unit of work: the money goes back, the balance never goes negative."""

from __future__ import annotations

import asyncio

import pytest

from src.application.shared.audit import AuditQuery
from src.application.shared.commands import ClientInfo
from src.application.shop.payments import ChargeStatus
from src.application.shop.refunds import RefundPurchase, refund_purchase
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shop.errors import NotRefundable
from src.domain.shop.transactions import TxStatus
from src.domain.wallet.model import Currency
from tests.unit.application.shop_payments_support import (
    ADMIN,
    PACK_GEMS,
    Shop,
    bought,
    gems,
    given_player,
    ledger,
    open_shop,
    spend_gems,
    transaction,
)


@pytest.fixture
def shop() -> Shop:
    return open_shop()


def _refund(tx_id: str, note: str | None = "chargeback") -> RefundPurchase:
    return RefundPurchase(ADMIN, ClientInfo("203.0.113.7"), tx_id, note)


async def _captured(shop: Shop) -> tuple[str, str]:
    user_id = await given_player(shop)
    tx = await bought(shop, user_id)
    assert tx.status is TxStatus.CAPTURED
    return user_id, tx.id


async def test_unspent_gems_are_all_clawed_back(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)

    result = await refund_purchase(_refund(tx_id), shop.deps)

    tx = result.transaction
    assert (tx.status, tx.refunded_cents, tx.amount_cents) == (TxStatus.REFUNDED, tx.amount_cents, 499)
    assert (tx.clawed_back_gems, tx.outstanding_gems, result.gem_balance) == (PACK_GEMS, 0, 0)
    assert await gems(shop, user_id) == 0
    clawback = await ledger(shop, user_id, "purchase_refund")
    assert [(entry.delta, entry.ref_type, entry.ref_id) for entry in clawback] == [(-PACK_GEMS, "purchase", tx_id)]
    assert tx.charge_id is not None
    assert await shop.gateway.charge_status(tx.charge_id) is ChargeStatus.REFUNDED


async def test_spent_gems_leave_the_rest_outstanding_and_the_balance_at_zero(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)
    await spend_gems(shop, user_id, 320)

    result = await refund_purchase(_refund(tx_id), shop.deps)

    assert (result.transaction.clawed_back_gems, result.transaction.outstanding_gems) == (180, 320)
    assert result.gem_balance == 0
    assert await gems(shop, user_id) == 0
    assert [entry.delta for entry in await ledger(shop, user_id, "purchase_refund")] == [-180]
    assert (await transaction(shop, tx_id)).outstanding_gems == 320


async def test_with_every_gem_spent_nothing_is_debited_and_all_is_outstanding(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)
    await spend_gems(shop, user_id, PACK_GEMS)

    result = await refund_purchase(_refund(tx_id), shop.deps)

    assert (result.transaction.status, result.transaction.clawed_back_gems) == (TxStatus.REFUNDED, 0)
    assert result.transaction.outstanding_gems == PACK_GEMS
    assert await ledger(shop, user_id, "purchase_refund") == []


async def test_gems_from_elsewhere_are_clawed_back_only_up_to_the_grant(shop: Shop) -> None:
    user_id, first = await _captured(shop)
    await bought(shop, user_id)  # a second pack: 1000 gems in all

    result = await refund_purchase(_refund(first), shop.deps)

    assert (result.transaction.clawed_back_gems, result.gem_balance) == (PACK_GEMS, PACK_GEMS)


async def test_the_refund_is_recorded_audited_and_announced(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)
    await spend_gems(shop, user_id, 100)

    await refund_purchase(_refund(tx_id, " chargeback #42 "), shop.deps)

    async with shop.deps.uow_factory() as uow:
        audit = (await uow.audit.search(AuditQuery(action="transaction.refund"), 10, None)).items
    assert [(entry.admin_id, entry.target_id, entry.ip) for entry in audit] == [(ADMIN.user_id, tx_id, "203.0.113.7")]
    assert audit[0].payload["clawed_back_gems"] == 400
    assert audit[0].payload["outstanding_gems"] == 100
    assert audit[0].payload["note"] == "chargeback #42"
    updates = [event.payload() for event in shop.events("PurchaseUpdated") if event.aggregate_id == tx_id]
    assert updates[-1]["status"] == "refunded"
    refund_moves = [event.payload() for event in shop.events("BalanceChanged") if event.aggregate_id == user_id]
    assert refund_moves[-1] == {
        "currency": Currency.GEMS.value,
        "delta": -400,
        "balance_after": 0,
        "reason": "purchase_refund",
        "ref_type": "purchase",
        "ref_id": tx_id,
    }
    history = (await transaction(shop, tx_id)).history
    assert (history[-1].status, history[-1].reason) == (TxStatus.REFUNDED, "chargeback #42")


async def test_refunding_again_answers_the_same_refund_and_takes_nothing_more(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)
    first = await refund_purchase(_refund(tx_id), shop.deps)

    again = await refund_purchase(_refund(tx_id, "second click"), shop.deps)

    assert again.transaction == first.transaction
    assert len(await ledger(shop, user_id, "purchase_refund")) == 1
    async with shop.deps.uow_factory() as uow:
        assert len((await uow.audit.search(AuditQuery(action="transaction.refund"), 10, None)).items) == 1


async def test_concurrent_refunds_claw_back_once(shop: Shop) -> None:
    user_id, tx_id = await _captured(shop)

    results = await asyncio.gather(*(refund_purchase(_refund(tx_id), shop.deps) for _ in range(5)))

    assert {result.transaction.status for result in results} == {TxStatus.REFUNDED}
    assert [entry.delta for entry in await ledger(shop, user_id, "purchase_refund")] == [-PACK_GEMS]
    assert await gems(shop, user_id) == 0


async def test_a_purchase_that_was_never_captured_is_not_refundable(shop: Shop) -> None:
    user_id = await given_player(shop)
    pending = await bought(shop, user_id, "tok_pending")

    with pytest.raises(NotRefundable) as refusal:
        await refund_purchase(_refund(pending.id), shop.deps)

    assert refusal.value.details == {"status": "pending"}
    assert (await transaction(shop, pending.id)).status is TxStatus.PENDING


async def test_an_unknown_transaction_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await refund_purchase(_refund("tx_nope"), shop.deps)


async def test_an_overlong_note_is_refused_before_anything_happens(shop: Shop) -> None:
    _, tx_id = await _captured(shop)

    with pytest.raises(InvalidInput):
        await refund_purchase(_refund(tx_id, "x" * 201), shop.deps)

    assert (await transaction(shop, tx_id)).status is TxStatus.CAPTURED
