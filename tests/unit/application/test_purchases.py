"""The buy flow and what finishes it later (capture retries, the stale sweep, the hold sweep) on in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from src.application.shared.jobs import JobQueueUnavailable
from src.application.shop.payments import Authorization, CaptureResult, ChargeStatus, PaymentDeclined
from src.application.shop.purchases import (
    CAPTURE_JOB,
    BuyGems,
    buy,
    release_expired_holds,
    retry_capture,
    void_stale_transactions,
)
from src.domain.shop.limited import LimitedPackage, OutOfStock
from src.domain.shop.promos import PromoCode, PromoExhausted
from src.domain.shop.transactions import FailureReason, PurchaseKind, TxStatus
from tests.unit.application.shop_payments_support import (
    NOW,
    PACK_GEMS,
    PACK_PRICE,
    SKU,
    RecordingJobs,
    Shop,
    bought,
    gems,
    given_player,
    ledger,
    open_shop,
    transaction,
)

PACKAGE = "launch_unit"


@pytest.fixture
def shop() -> Shop:
    return open_shop()


def _jobs(shop: Shop) -> RecordingJobs:
    jobs = shop.deps.jobs
    assert isinstance(jobs, RecordingJobs)
    return jobs


async def _given_package(shop: Shop, stock: int = 1, per_user_limit: int = 1) -> None:
    package = LimitedPackage(
        package_id=PACKAGE,
        name="Launch bundle",
        price_cents=299,
        gems=300,
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=1),
        max_global_stock=stock,
        per_user_limit=per_user_limit,
    )
    async with shop.deps.uow_factory() as uow:
        await uow.limited.upsert(package, NOW)
        await uow.commit()


async def _given_promo(shop: Shop, code: str, percent: int, max_uses: int | None) -> None:
    async with shop.deps.uow_factory() as uow:
        await uow.promos.add(PromoCode(code=code, discount_percent=percent, max_uses=max_uses, created_at=NOW))
        await uow.commit()


async def _package(shop: Shop) -> LimitedPackage:
    async with shop.deps.uow_factory() as uow:
        package = await uow.limited.get(PACKAGE)
    assert package is not None
    return package


async def test_a_capture_that_fails_twice_is_captured_by_the_third_try_and_granted_once(shop: Shop) -> None:
    player = await given_player(shop)

    tx = await bought(shop, player, "tok_captureRetry")
    assert (tx.status, tx.capture_attempts) == (TxStatus.AUTHORIZED, 1)
    assert _jobs(shop).enqueued == [(CAPTURE_JOB, {"transaction_id": tx.id})]
    await retry_capture(tx.id, shop.deps)
    await retry_capture(tx.id, shop.deps)
    await retry_capture(tx.id, shop.deps)  # a re-run after a crash: nothing more happens

    settled = await transaction(shop, tx.id)
    assert (settled.status, settled.capture_attempts, settled.gems_granted) == (TxStatus.CAPTURED, 3, PACK_GEMS)
    assert await gems(shop, player) == PACK_GEMS
    assert len(_jobs(shop).enqueued) == 2  # after the first and the second failed try


async def test_a_capture_that_always_fails_ends_failed_after_the_last_try_and_voids(shop: Shop) -> None:
    player = await given_player(shop)
    tx = await bought(shop, player, "tok_captureFail")

    for _ in range(shop.deps.config.capture_max_attempts + 2):
        await retry_capture(tx.id, shop.deps)

    settled = await transaction(shop, tx.id)
    assert (settled.status, settled.failure_reason) == (TxStatus.FAILED, FailureReason.CAPTURE_FAILED)
    assert settled.capture_attempts == shop.deps.config.capture_max_attempts
    assert settled.charge_id is not None
    assert await shop.gateway.charge_status(settled.charge_id) is ChargeStatus.VOIDED
    assert await gems(shop, player) == 0


async def test_backoff_doubles_between_tries() -> None:
    config = open_shop().deps.config

    assert [config.capture_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert config.capture_delay(30) == 60.0


async def test_a_gateway_timeout_is_pending_until_the_job_reconciles_it(shop: Shop) -> None:
    player = await given_player(shop)

    tx = await bought(shop, player, "tok_timeout")
    assert (tx.status, tx.charge_id, tx.gems_granted) == (TxStatus.PENDING, None, 0)
    await retry_capture(tx.id, shop.deps)

    settled = await transaction(shop, tx.id)
    assert settled.status is TxStatus.CAPTURED
    assert settled.charge_id == await shop.gateway.find_charge(tx.id)
    assert await gems(shop, player) == PACK_GEMS


async def test_a_purchase_pending_too_long_is_voided_and_its_authorization_released(shop: Shop) -> None:
    player = await given_player(shop)
    tx = await bought(shop, player, "tok_pending")

    early = await void_stale_transactions(shop.deps)
    shop.clock.advance(5 * 60 + 1)
    voided = await void_stale_transactions(shop.deps)

    settled = await transaction(shop, tx.id)
    assert (early, voided) == (0, 1)
    assert (settled.status, settled.failure_reason) == (TxStatus.VOIDED, FailureReason.STALE_AUTO_VOID)
    assert tx.charge_id is not None
    assert await shop.gateway.charge_status(tx.charge_id) is ChargeStatus.VOIDED


async def test_the_stale_sweep_grants_a_charge_the_gateway_captured_meanwhile(shop: Shop) -> None:
    player = await given_player(shop)
    tx = await bought(shop, player, "tok_pending")
    assert tx.charge_id is not None
    await shop.gateway.webhook_for(tx.charge_id, "charge.captured")  # settled at the gateway, never told to us

    shop.clock.advance(5 * 60 + 1)
    voided = await void_stale_transactions(shop.deps)

    settled = await transaction(shop, tx.id)
    assert (voided, settled.status, settled.gems_granted) == (0, TxStatus.CAPTURED, PACK_GEMS)
    assert await gems(shop, player) == PACK_GEMS


async def test_an_expired_hold_ends_its_purchase_and_the_stock_can_be_bought_again(shop: Shop) -> None:
    await _given_package(shop, stock=1)
    alice, bob = await given_player(shop), await given_player(shop)
    held = await buy(BuyGems(alice, PurchaseKind.LIMITED, PACKAGE, 1, "tok_pending"), shop.deps)
    with pytest.raises(OutOfStock):
        await buy(BuyGems(bob, PurchaseKind.LIMITED, PACKAGE, 1, "tok_visa"), shop.deps)

    shop.clock.advance(shop.deps.config.hold_ttl.total_seconds() + 1)
    released = await release_expired_holds(shop.deps)
    second = await buy(BuyGems(bob, PurchaseKind.LIMITED, PACKAGE, 1, "tok_visa"), shop.deps)

    expired = await transaction(shop, held.transaction.id)
    assert released == 1
    assert (expired.status, expired.failure_reason) == (TxStatus.VOIDED, FailureReason.PENDING_TIMEOUT)
    assert second.transaction.status is TxStatus.CAPTURED
    package = await _package(shop)
    assert (package.sold, package.held, package.stock_remaining) == (1, 0, 0)


async def test_a_failed_limited_capture_gives_its_stock_back(shop: Shop) -> None:
    await _given_package(shop, stock=1)
    alice, bob = await given_player(shop), await given_player(shop)
    failing = await buy(BuyGems(alice, PurchaseKind.LIMITED, PACKAGE, 1, "tok_captureFail"), shop.deps)

    for _ in range(shop.deps.config.capture_max_attempts):
        await retry_capture(failing.transaction.id, shop.deps)
    second = await buy(BuyGems(bob, PurchaseKind.LIMITED, PACKAGE, 1, "tok_visa"), shop.deps)

    assert (await transaction(shop, failing.transaction.id)).status is TxStatus.FAILED
    assert second.transaction.status is TxStatus.CAPTURED
    assert (await _package(shop)).sold == 1


async def test_a_promo_lowers_the_price_and_its_use_returns_when_the_card_is_declined(shop: Shop) -> None:
    player = await given_player(shop)
    await _given_promo(shop, "ONCE20", 20, max_uses=1)

    with pytest.raises(PaymentDeclined):
        await buy(BuyGems(player, PurchaseKind.CATALOG, SKU, 1, "tok_chargeDeclined", "once20"), shop.deps)
    result = await buy(BuyGems(player, PurchaseKind.CATALOG, SKU, 1, "tok_visa", "ONCE20"), shop.deps)
    with pytest.raises(PromoExhausted):
        await buy(BuyGems(player, PurchaseKind.CATALOG, SKU, 1, "tok_visa", "ONCE20"), shop.deps)

    assert result.transaction.amount_cents == (PACK_PRICE * 80 + 50) // 100
    assert result.transaction.promo_code == "ONCE20"
    async with shop.deps.uow_factory() as uow:
        promo = await uow.promos.get("ONCE20")
    assert promo is not None
    assert promo.used_count == 1


async def test_every_state_change_is_sealed_and_announced(shop: Shop) -> None:
    player = await given_player(shop)

    tx = await bought(shop, player)

    updates = [event for event in shop.events("PurchaseUpdated") if event.aggregate_id == tx.id]
    assert [event.payload()["status"] for event in updates] == ["pending", "captured"]
    assert [event.payload()["amount"] for event in shop.events("RewardGranted")] == [PACK_GEMS]
    async with shop.deps.uow_factory() as uow:
        [(stored, seal)] = await uow.transactions.integrity_hashes(None, 10)
    assert stored.id == tx.id
    assert seal is not None
    assert seal.startswith("k1:")


class DownJobs:
    async def enqueue(
        self, job: str, payload: dict[str, object], *, delay_seconds: float = 0.0, job_id: str | None = None
    ) -> None:
        raise JobQueueUnavailable("redis is down")


async def test_a_queue_outage_leaves_the_purchase_pending_for_the_stale_sweep(shop: Shop) -> None:
    player = await given_player(shop)
    shop.deps = replace(shop.deps, jobs=DownJobs())

    tx = await bought(shop, player, "tok_captureRetry")
    shop.clock.advance(5 * 60 + 1)
    await void_stale_transactions(shop.deps)

    assert (tx.status, tx.capture_attempts) == (TxStatus.AUTHORIZED, 1)
    settled = await transaction(shop, tx.id)
    assert (settled.status, settled.failure_reason) == (TxStatus.VOIDED, FailureReason.STALE_AUTO_VOID)
    assert await gems(shop, player) == 0


class CapturedAndReconciledMeanwhile:
    """The sandbox gateway, except that it answers the buy's capture only after the capture job has reconciled the
    charge: the purchase was settled (locked, granted) by someone else between the buy's opening and its
    settlement."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop
        self._gateway = shop.gateway

    async def capture(self, charge_id: str) -> CaptureResult:
        result = await self._gateway.capture(charge_id)
        async with self._shop.deps.uow_factory() as uow:
            [opened] = await uow.transactions.list_unsettled_before(NOW + timedelta(days=1), 10)
        await retry_capture(opened.id, self._shop.deps)
        return result

    async def authorize(
        self, *, idempotency_key: str, amount_cents: int, currency: str, card_token: str
    ) -> Authorization:
        return await self._gateway.authorize(
            idempotency_key=idempotency_key, amount_cents=amount_cents, currency=currency, card_token=card_token
        )

    async def void(self, charge_id: str) -> None:
        await self._gateway.void(charge_id)

    async def refund(self, charge_id: str, amount_cents: int) -> None:
        await self._gateway.refund(charge_id, amount_cents)

    async def charge_status(self, charge_id: str) -> ChargeStatus:
        return await self._gateway.charge_status(charge_id)

    async def find_charge(self, idempotency_key: str) -> str | None:
        return await self._gateway.find_charge(idempotency_key)


async def test_a_purchase_settled_elsewhere_before_its_own_settlement_is_granted_once(shop: Shop) -> None:
    player = await given_player(shop)
    deps = replace(shop.deps, gateway=CapturedAndReconciledMeanwhile(shop))

    result = await buy(BuyGems(player, PurchaseKind.CATALOG, SKU, 1, "tok_visa"), deps)

    assert (result.transaction.status, result.new_gem_balance) == (TxStatus.CAPTURED, PACK_GEMS)
    assert await gems(shop, player) == PACK_GEMS
    assert len(await ledger(shop, player, "purchase")) == 1
    updates = [event.payload()["status"] for event in shop.events("PurchaseUpdated")]
    assert updates == ["pending", "captured"]
