"""The payment webhook use case on the in-memory unit of work: checks, audit trail, once-only, forward-only."""

from __future__ import annotations

import asyncio
import json

import pytest

from src.application.shop.webhooks import PaymentWebhook, Verdict, forget_old_arrivals, handle_payment_webhook
from src.domain.shared.errors import InvalidInput
from src.domain.shop.transactions import FailureReason, TxStatus
from src.domain.shop.webhooks import WebhookReplay, WebhookSignatureInvalid, sign
from tests.unit.application.shop_payments_support import (
    OLD_WEBHOOK_SECRET,
    PACK_GEMS,
    WEBHOOK_SECRET,
    Shop,
    bought,
    gems,
    given_player,
    ledger,
    open_shop,
    transaction,
)


@pytest.fixture
def shop() -> Shop:
    return open_shop()


def _hook(body: bytes, signature: str) -> PaymentWebhook:
    return PaymentWebhook(raw_body=body, signature=signature)


def _signed(shop: Shop, document: dict[str, object], secret: str = WEBHOOK_SECRET, age: int = 0) -> PaymentWebhook:
    body = json.dumps(document).encode()
    return _hook(body, sign(secret, int(shop.clock.unix()) - age, body))


async def _stored(shop: Shop) -> list[tuple[str, str | None]]:
    async with shop.deps.uow_factory() as uow:
        page = await uow.webhooks.list_requests(100, None)
    return [(request.verdict, request.event_id) for request in reversed(page.items)]


async def _pending_purchase(shop: Shop) -> tuple[str, str, str]:
    """A tok_pending purchase the gateway settles by webhook: (user id, transaction id, charge id)."""
    user_id = await given_player(shop)
    tx = await bought(shop, user_id, "tok_pending")
    assert tx.status is TxStatus.PENDING
    assert tx.charge_id is not None
    return user_id, tx.id, tx.charge_id


async def _deliver(shop: Shop, charge_id: str, kind: str, event_id: str | None = None) -> Verdict:
    body, signature = await shop.gateway.webhook_for(charge_id, kind, event_id)
    return (await handle_payment_webhook(_hook(body, signature), shop.deps)).verdict


async def test_a_signed_capture_settles_a_pending_purchase_and_grants_once(shop: Shop) -> None:
    user_id, tx_id, charge_id = await _pending_purchase(shop)
    body, signature = await shop.gateway.webhook_for(charge_id, "charge.captured")

    outcome = await handle_payment_webhook(_hook(body, signature), shop.deps)

    assert (outcome.verdict, outcome.applied, outcome.duplicate) == (Verdict.ACCEPTED, True, False)
    settled = await transaction(shop, tx_id)
    assert (settled.status, settled.gems_granted) == (TxStatus.CAPTURED, PACK_GEMS)
    assert settled.history[-1].reason == "charge.captured"
    assert await gems(shop, user_id) == PACK_GEMS
    assert await _stored(shop) == [("accepted", json.loads(body)["event_id"])]


def _resigned(hook: PaymentWebhook, timestamp: int) -> PaymentWebhook:
    """The gateway's redelivery: the same event body, signed anew at another moment."""
    return _hook(hook.raw_body, sign(WEBHOOK_SECRET, timestamp, hook.raw_body))


async def test_a_redelivered_event_is_a_duplicate_with_no_effect(shop: Shop) -> None:
    user_id, _, charge_id = await _pending_purchase(shop)
    first = _hook(*await shop.gateway.webhook_for(charge_id, "charge.captured", "evt_once"))
    await handle_payment_webhook(first, shop.deps)
    shop.clock.advance(1)

    outcome = await handle_payment_webhook(_resigned(first, int(shop.clock.unix())), shop.deps)

    assert (outcome.duplicate, outcome.applied) == (True, False)
    assert len(await ledger(shop, user_id, "purchase")) == 1
    assert await _stored(shop) == [("accepted", "evt_once"), ("duplicate", "evt_once")]


async def test_the_very_same_signed_request_again_is_a_replay(shop: Shop) -> None:
    user_id, _, charge_id = await _pending_purchase(shop)
    seen = _hook(*await shop.gateway.webhook_for(charge_id, "charge.captured", "evt_seen"))
    await handle_payment_webhook(seen, shop.deps)
    shop.clock.advance(1)

    with pytest.raises(WebhookReplay):
        await handle_payment_webhook(seen, shop.deps)

    assert len(await ledger(shop, user_id, "purchase")) == 1
    assert await _stored(shop) == [("accepted", "evt_seen"), ("replay", "evt_seen")]


async def test_a_replay_of_a_rejected_request_is_still_rejected_as_it_was(shop: Shop) -> None:
    _, tx_id, charge_id = await _pending_purchase(shop)
    forged = _signed(shop, {"event_id": "evt_f", "type": "charge.captured", "charge_id": charge_id}, "guess")
    for _ in range(2):
        with pytest.raises(WebhookSignatureInvalid):
            await handle_payment_webhook(forged, shop.deps)

    assert (await transaction(shop, tx_id)).status is TxStatus.PENDING


async def test_concurrent_deliveries_of_one_event_apply_it_once(shop: Shop) -> None:
    user_id, _, charge_id = await _pending_purchase(shop)
    first = _hook(*await shop.gateway.webhook_for(charge_id, "charge.captured", "evt_racing"))
    now = int(shop.clock.unix())
    deliveries = [_resigned(first, now - age) for age in range(4)]

    outcomes = await asyncio.gather(*(handle_payment_webhook(hook, shop.deps) for hook in deliveries))

    assert sorted(outcome.verdict for outcome in outcomes) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert await gems(shop, user_id) == PACK_GEMS


async def test_concurrent_replays_of_one_request_apply_it_once(shop: Shop) -> None:
    user_id, _, charge_id = await _pending_purchase(shop)
    seen = _hook(*await shop.gateway.webhook_for(charge_id, "charge.captured", "evt_replayed"))

    outcomes = await asyncio.gather(
        *(handle_payment_webhook(seen, shop.deps) for _ in range(4)), return_exceptions=True
    )

    assert sum(isinstance(outcome, WebhookReplay) for outcome in outcomes) == 3
    assert await gems(shop, user_id) == PACK_GEMS


async def test_a_bad_signature_is_refused_and_stored(shop: Shop) -> None:
    _, tx_id, charge_id = await _pending_purchase(shop)
    forged = _signed(shop, {"event_id": "evt_forged", "type": "charge.captured", "charge_id": charge_id}, "guess")

    with pytest.raises(WebhookSignatureInvalid):
        await handle_payment_webhook(forged, shop.deps)

    assert (await transaction(shop, tx_id)).status is TxStatus.PENDING
    assert await _stored(shop) == [("signature_invalid", "evt_forged")]


async def test_a_missing_signature_is_refused_and_stored(shop: Shop) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        await handle_payment_webhook(PaymentWebhook(b"not even json", None), shop.deps)

    assert await _stored(shop) == [("signature_invalid", None)]


async def test_a_request_older_than_five_minutes_is_a_replay(shop: Shop) -> None:
    _, tx_id, charge_id = await _pending_purchase(shop)
    stale = _signed(shop, {"event_id": "evt_old", "type": "charge.captured", "charge_id": charge_id}, age=301)

    with pytest.raises(WebhookReplay):
        await handle_payment_webhook(stale, shop.deps)

    assert (await transaction(shop, tx_id)).status is TxStatus.PENDING
    assert await _stored(shop) == [("replay", "evt_old")]


async def test_a_request_just_inside_the_window_is_accepted(shop: Shop) -> None:
    _, tx_id, charge_id = await _pending_purchase(shop)
    recent = _signed(shop, {"event_id": "evt_recent", "type": "charge.captured", "charge_id": charge_id}, age=300)

    assert (await handle_payment_webhook(recent, shop.deps)).applied
    assert (await transaction(shop, tx_id)).status is TxStatus.CAPTURED


async def test_a_signature_made_with_the_previous_secret_still_verifies(shop: Shop) -> None:
    _, tx_id, charge_id = await _pending_purchase(shop)
    rotated = _signed(
        shop, {"event_id": "evt_rot", "type": "charge.failed", "charge_id": charge_id}, OLD_WEBHOOK_SECRET
    )

    assert (await handle_payment_webhook(rotated, shop.deps)).applied
    failed = await transaction(shop, tx_id)
    assert (failed.status, failed.failure_reason) == (TxStatus.FAILED, FailureReason.PAYMENT_DECLINED)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"type": "charge.captured", "charge_id": "ch_1"}', b'{"event_id": "e", "type": 5}'],
)
async def test_a_signed_but_malformed_body_is_a_validation_error_and_stored(shop: Shop, body: bytes) -> None:
    with pytest.raises(InvalidInput):
        await handle_payment_webhook(_hook(body, sign(WEBHOOK_SECRET, int(shop.clock.unix()), body)), shop.deps)

    assert [verdict for verdict, _ in await _stored(shop)] == ["malformed"]


async def test_a_known_event_without_a_charge_is_malformed(shop: Shop) -> None:
    with pytest.raises(InvalidInput):
        await handle_payment_webhook(_signed(shop, {"event_id": "evt_x", "type": "charge.captured"}), shop.deps)


async def test_an_event_type_we_do_not_act_on_is_accepted_and_ignored(shop: Shop) -> None:
    outcome = await handle_payment_webhook(_signed(shop, {"event_id": "evt_p", "type": "payout.paid"}), shop.deps)

    assert (outcome.verdict, outcome.applied) == (Verdict.IGNORED, False)
    assert await _stored(shop) == [("ignored", "evt_p")]


async def test_an_unknown_charge_is_accepted_recorded_and_not_remembered(shop: Shop) -> None:
    stray = {"event_id": "evt_stray", "type": "charge.captured", "charge_id": "ch_nobody"}

    first = await handle_payment_webhook(_signed(shop, stray), shop.deps)
    shop.clock.advance(1)
    again = await handle_payment_webhook(_signed(shop, stray), shop.deps)

    assert (first.verdict, first.applied) == (Verdict.UNKNOWN_CHARGE, False)
    assert again.verdict is Verdict.UNKNOWN_CHARGE  # not a duplicate: a redelivery once the charge is known applies
    assert await _stored(shop) == [("unknown_charge", "evt_stray"), ("unknown_charge", "evt_stray")]


async def test_a_refund_before_the_capture_settles_refunded_and_the_late_capture_grants_nothing(shop: Shop) -> None:
    user_id, tx_id, charge_id = await _pending_purchase(shop)

    assert await _deliver(shop, charge_id, "charge.refunded") is Verdict.ACCEPTED
    late = await handle_payment_webhook(
        _signed(shop, {"event_id": "evt_late", "type": "charge.captured", "charge_id": charge_id}), shop.deps
    )

    assert (late.verdict, late.applied) == (Verdict.ACCEPTED, False)
    refunded = await transaction(shop, tx_id)
    assert (refunded.status, refunded.gems_granted, refunded.refunded_cents) == (
        TxStatus.REFUNDED,
        0,
        refunded.amount_cents,
    )
    assert await gems(shop, user_id) == 0
    assert await ledger(shop, user_id, "purchase") == []


async def test_a_capture_after_a_failure_leaves_it_failed(shop: Shop) -> None:
    user_id, tx_id, charge_id = await _pending_purchase(shop)
    await _deliver(shop, charge_id, "charge.failed")

    late = await handle_payment_webhook(
        _signed(shop, {"event_id": "evt_late_cap", "type": "charge.captured", "charge_id": charge_id}), shop.deps
    )

    assert late.applied is False
    assert (await transaction(shop, tx_id)).status is TxStatus.FAILED
    assert await gems(shop, user_id) == 0


async def test_a_late_failure_does_not_undo_a_capture(shop: Shop) -> None:
    user_id, tx_id, charge_id = await _pending_purchase(shop)
    await _deliver(shop, charge_id, "charge.captured")

    assert await _deliver(shop, charge_id, "charge.failed") is Verdict.ACCEPTED

    assert (await transaction(shop, tx_id)).status is TxStatus.CAPTURED
    assert await gems(shop, user_id) == PACK_GEMS


async def test_a_gateway_refund_of_a_captured_purchase_claws_the_gems_back(shop: Shop) -> None:
    user_id = await given_player(shop)
    tx = await bought(shop, user_id)
    assert tx.charge_id is not None

    assert await _deliver(shop, tx.charge_id, "charge.refunded") is Verdict.ACCEPTED

    refunded = await transaction(shop, tx.id)
    assert (refunded.status, refunded.clawed_back_gems, refunded.outstanding_gems) == (TxStatus.REFUNDED, PACK_GEMS, 0)
    assert await gems(shop, user_id) == 0
    assert [entry.delta for entry in await ledger(shop, user_id, "purchase_refund")] == [-PACK_GEMS]
    assert [event.payload()["status"] for event in shop.events("PurchaseUpdated")][-1] == "refunded"


async def test_a_failure_while_applying_is_stored_as_an_error_and_raised(shop: Shop) -> None:
    _, _, charge_id = await _pending_purchase(shop)
    body, signature = await shop.gateway.webhook_for(charge_id, "charge.captured")

    async def broken(*_: object) -> bool:
        raise RuntimeError("the database went away")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("src.adapters.memory.webhooks.InMemoryWebhookLog.first_delivery", broken)
        with pytest.raises(RuntimeError):
            await handle_payment_webhook(_hook(body, signature), shop.deps)

    assert [verdict for verdict, _ in await _stored(shop)] == ["error"]
    assert (await _deliver(shop, charge_id, "charge.captured")) is Verdict.ACCEPTED  # the redelivery applies


async def test_replay_markers_older_than_twice_the_window_are_forgotten(shop: Shop) -> None:
    _, _, charge_id = await _pending_purchase(shop)
    seen = _hook(*await shop.gateway.webhook_for(charge_id, "charge.captured", "evt_forgotten"))
    await handle_payment_webhook(seen, shop.deps)

    shop.clock.advance(599)
    kept = await forget_old_arrivals(shop.deps)
    shop.clock.advance(2)
    forgotten = await forget_old_arrivals(shop.deps)

    assert (kept, forgotten) == (0, 1)
    with pytest.raises(WebhookReplay):  # the same bytes now are too old anyway
        await handle_payment_webhook(seen, shop.deps)
