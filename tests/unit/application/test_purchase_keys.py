"""One Idempotency-Key, one purchase: a retry of a key whose first request died never opens a second purchase."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import pytest

from src.application.shared.idempotency import IdempotencyKeyReused
from src.application.shop.payments import CaptureResult, ChargeStatus, PaymentDeclined
from src.application.shop.purchases import BuyGems, PurchaseResult, buy, void_stale_transactions
from src.domain.shop.transactions import PurchaseKind, PurchaseTransaction, TxStatus, key_digest
from tests.unit.application.shop_payments_support import (
    PACK_GEMS,
    SKU,
    Shop,
    gems,
    given_player,
    ledger,
    open_shop,
)

STALE = 5 * 60 + 1  # past PENDING_TX_MAX_AGE


class ProcessKilled(BaseException):
    """kill -9 of the app: nothing after this point of the request runs."""


class DiesWhileCapturing:
    """The gateway captures the charge, then the process that asked dies before it hears the answer."""

    def __init__(self, gateway: Any) -> None:
        self._gateway = gateway

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def capture(self, charge_id: str) -> CaptureResult:
        await self._gateway.capture(charge_id)
        raise ProcessKilled


@pytest.fixture
def shop() -> Shop:
    return open_shop()


def _order(user_id: str, key: str, card_token: str = "tok_visa", quantity: int = 1) -> BuyGems:  # noqa: S107
    return BuyGems(user_id, PurchaseKind.CATALOG, SKU, quantity, card_token, idempotency_key=key)


async def _purchases(shop: Shop, user_id: str) -> list[PurchaseTransaction]:
    async with shop.deps.uow_factory() as uow:
        return (await uow.transactions.list_for_user(user_id, 100, None)).items


async def _killed_mid_capture(shop: Shop, order: BuyGems) -> PurchaseTransaction:
    """The first request: its purchase is opened and captured at the gateway, then its process dies."""
    with pytest.raises(ProcessKilled):
        await buy(order, replace(shop.deps, gateway=DiesWhileCapturing(shop.gateway)))
    (opened,) = await _purchases(shop, order.user_id)
    return opened


async def _charge_status(shop: Shop, tx: PurchaseTransaction) -> ChargeStatus:
    charge_id = await shop.gateway.find_charge(tx.payment_key)
    assert charge_id is not None
    return await shop.gateway.charge_status(charge_id)


async def test_a_retry_after_the_crash_answers_the_open_purchase_then_its_settled_state(shop: Shop) -> None:
    player, key = await given_player(shop), uuid.uuid4().hex
    opened = await _killed_mid_capture(shop, _order(player, key))

    while_open = await buy(_order(player, key), shop.deps)
    shop.clock.advance(STALE)
    await void_stale_transactions(shop.deps)
    once_settled = await buy(_order(player, key), shop.deps)

    assert (while_open.transaction.id, while_open.transaction.status, while_open.earlier) == (
        opened.id,
        TxStatus.PENDING,
        True,
    )
    assert (once_settled.transaction.id, once_settled.transaction.status) == (opened.id, TxStatus.CAPTURED)
    assert [tx.id for tx in await _purchases(shop, player)] == [opened.id]
    assert await _charge_status(shop, opened) is ChargeStatus.CAPTURED
    assert len(await ledger(shop, player, "purchase")) == 1
    assert await gems(shop, player) == once_settled.new_gem_balance == PACK_GEMS


async def test_the_sweep_settling_first_leaves_the_retry_the_final_answer(shop: Shop) -> None:
    player, key = await given_player(shop), uuid.uuid4().hex
    opened = await _killed_mid_capture(shop, _order(player, key))

    shop.clock.advance(STALE)
    await void_stale_transactions(shop.deps)
    retried = await buy(_order(player, key), shop.deps)

    assert (retried.transaction.id, retried.transaction.status) == (opened.id, TxStatus.CAPTURED)
    assert [tx.id for tx in await _purchases(shop, player)] == [opened.id]
    assert len(await ledger(shop, player, "purchase")) == 1


async def test_concurrent_requests_with_one_key_make_one_purchase_and_one_charge(shop: Shop) -> None:
    player, key = await given_player(shop), uuid.uuid4().hex

    results: list[PurchaseResult] = await asyncio.gather(*(buy(_order(player, key), shop.deps) for _ in range(6)))

    (only,) = await _purchases(shop, player)
    assert {result.transaction.id for result in results} == {only.id}
    assert [result.earlier for result in results].count(False) == 1
    assert only.status is TxStatus.CAPTURED
    assert await gems(shop, player) == PACK_GEMS


async def test_a_key_that_bought_something_else_is_refused(shop: Shop) -> None:
    player, key = await given_player(shop), uuid.uuid4().hex
    await buy(_order(player, key), shop.deps)

    with pytest.raises(IdempotencyKeyReused):
        await buy(_order(player, key, quantity=2), shop.deps)

    assert len(await _purchases(shop, player)) == 1


async def test_a_declined_purchase_answers_its_decline_again_without_a_new_attempt(shop: Shop) -> None:
    player, key = await given_player(shop), uuid.uuid4().hex
    with pytest.raises(PaymentDeclined):
        await buy(_order(player, key, "tok_chargeDeclined"), shop.deps)

    with pytest.raises(PaymentDeclined) as again:
        await buy(_order(player, key, "tok_chargeDeclined"), shop.deps)

    assert again.value.details == {"stage": "authorize", "gateway_code": "card_declined"}
    assert len(await _purchases(shop, player)) == 1


async def test_the_gateway_key_is_the_users_key_so_two_players_with_one_key_pay_separately(shop: Shop) -> None:
    key = uuid.uuid4().hex
    first, second = await given_player(shop), await given_player(shop)

    one = await buy(_order(first, key), shop.deps)
    two = await buy(_order(second, key), shop.deps)

    assert one.transaction.idempotency_key_hash == two.transaction.idempotency_key_hash == key_digest(key)
    assert one.transaction.charge_id != two.transaction.charge_id
    assert one.transaction.charge_id == await shop.gateway.find_charge(one.transaction.payment_key)
    assert (await gems(shop, first), await gems(shop, second)) == (PACK_GEMS, PACK_GEMS)
