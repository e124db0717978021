"""The sandbox gateway's own behaviour: the test tokens of API.md, timeouts, and its signed webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Sequence

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.payments.sandbox import KEPT_CHARGE_SECONDS, SandboxPaymentGateway
from src.application.shop.payments import (
    Authorization,
    AuthorizationStatus,
    ChargeStatus,
    GatewayTimeout,
    PaymentDeclined,
)
from tests.support.polling import eventually

SECRET = "whsec_sandbox_test"
NOW = 1_750_000_000.75


@pytest.fixture
def sut() -> SandboxPaymentGateway:
    return SandboxPaymentGateway(webhook_secret=SECRET, cache=InMemoryCache(), clock=lambda: NOW)


def new_key() -> str:
    return f"idem-{uuid.uuid4().hex}"


async def authorize(sut: SandboxPaymentGateway, token: str, key: str | None = None) -> Authorization:
    return await sut.authorize(idempotency_key=key or new_key(), amount_cents=999, currency="USD", card_token=token)


def signature_is_valid(secret: str, body: bytes, header: str) -> bool:
    """The receiver's check, written here independently of the sandbox: `t=<unix>,v1=<hex hmac>`."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


# --- charges -------------------------------------------------------------------------------------------------------


async def test_charge_ids_are_ch_and_24_hex(sut: SandboxPaymentGateway) -> None:
    auths = [await authorize(sut, "tok_visa") for _ in range(20)]

    assert all(re.fullmatch(r"ch_[0-9a-f]{24}", auth.charge_id) for auth in auths)
    assert len({auth.charge_id for auth in auths}) == 20


async def test_capture_fail_token_never_captures(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_captureFail")

    results = [await sut.capture(auth.charge_id) for _ in range(6)]

    assert auth.status is AuthorizationStatus.APPROVED
    assert {(r.captured, r.gateway_code) for r in results} == {(False, "capture_failed")}
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.AUTHORIZED


async def test_capture_retry_token_fails_twice_then_captures(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_captureRetry")

    results = [await sut.capture(auth.charge_id) for _ in range(4)]

    assert [r.captured for r in results] == [False, False, True, True]
    assert results[0].gateway_code == "capture_failed"
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED


async def test_capture_retries_are_counted_per_charge(sut: SandboxPaymentGateway) -> None:
    first = await authorize(sut, "tok_captureRetry")
    second = await authorize(sut, "tok_captureRetry")
    await sut.capture(first.charge_id)
    await sut.capture(first.charge_id)

    first_third = await sut.capture(first.charge_id)
    second_first = await sut.capture(second.charge_id)

    assert first_third.captured
    assert not second_first.captured
    assert await sut.charge_status(second.charge_id) == ChargeStatus.AUTHORIZED


class CountingCache(InMemoryCache):
    """The in-memory cache that counts its commands (each one a Redis round trip on the real cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[str] = []

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.commands.append("get_many")
        return await super().get_many(keys)

    async def set_if_absent(self, key: str, value: str, ttl_seconds: float) -> bool:
        self.commands.append("set_if_absent")
        return await super().set_if_absent(key, value, ttl_seconds)

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        self.commands.append("incr")
        return await super().incr(key, amount, ttl_seconds)


async def test_a_visa_charge_is_opened_and_captured_in_two_commands_without_counting_attempts() -> None:
    cache = CountingCache()
    sut = SandboxPaymentGateway(webhook_secret=SECRET, cache=cache, clock=lambda: NOW)
    auth = await authorize(sut, "tok_visa")

    result = await sut.capture(auth.charge_id)

    assert result.captured
    assert cache.commands == ["set_if_absent", "set_if_absent"]  # the capture right after: its move alone
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED


async def test_a_capture_later_or_in_another_process_reads_the_charge_first() -> None:
    cache, now = CountingCache(), [NOW]
    app = SandboxPaymentGateway(webhook_secret=SECRET, cache=cache, clock=lambda: now[0])
    worker = SandboxPaymentGateway(webhook_secret=SECRET, cache=cache, clock=lambda: now[0])
    first, second = await authorize(app, "tok_visa", key="k-1"), await authorize(app, "tok_visa", key="k-2")
    now[0] += KEPT_CHARGE_SECONDS + 1
    cache.commands.clear()

    assert (await worker.capture(first.charge_id)).captured
    assert (await app.capture(second.charge_id)).captured

    assert cache.commands == ["get_many", "set_if_absent"] * 2


async def test_a_charge_authorized_here_and_voided_elsewhere_is_not_captured() -> None:
    cache = InMemoryCache()
    app, worker = (SandboxPaymentGateway(webhook_secret=SECRET, cache=cache, clock=lambda: NOW) for _ in range(2))
    auth = await authorize(app, "tok_visa")
    await worker.void(auth.charge_id)

    result = await app.capture(auth.charge_id)

    assert (result.captured, result.gateway_code) == (False, "charge_voided")
    assert await app.charge_status(auth.charge_id) == ChargeStatus.VOIDED


async def test_pending_token_waits_for_the_webhook_to_settle(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_pending")
    before = await sut.capture(auth.charge_id)

    await sut.webhook_for(auth.charge_id, "charge.captured")

    assert auth.status is AuthorizationStatus.PENDING
    assert (before.captured, before.gateway_code) == (False, "charge_pending")
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED
    assert (await sut.capture(auth.charge_id)).captured


async def test_pending_charge_can_fail_by_webhook(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_pending")

    await sut.webhook_for(auth.charge_id, "charge.failed")

    assert await sut.charge_status(auth.charge_id) == ChargeStatus.FAILED


async def test_a_late_webhook_never_moves_a_settled_charge_backwards(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_visa")
    await sut.capture(auth.charge_id)

    await sut.webhook_for(auth.charge_id, "charge.failed")

    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED


async def test_refunded_webhook_refunds_a_captured_charge(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_visa")
    await sut.capture(auth.charge_id)

    await sut.webhook_for(auth.charge_id, "charge.refunded")

    assert await sut.charge_status(auth.charge_id) == ChargeStatus.REFUNDED


async def test_timeout_raises_but_the_charge_is_authorized_and_findable(sut: SandboxPaymentGateway) -> None:
    key = new_key()

    with pytest.raises(GatewayTimeout) as timeout:
        await authorize(sut, "tok_timeout", key=key)

    charge_id = await sut.find_charge(key)
    assert timeout.value.code == "GATEWAY_TIMEOUT"
    assert charge_id is not None
    assert await sut.charge_status(charge_id) == ChargeStatus.AUTHORIZED


async def test_a_timed_out_key_keeps_timing_out_and_keeps_one_charge(sut: SandboxPaymentGateway) -> None:
    key = new_key()
    with pytest.raises(GatewayTimeout):
        await authorize(sut, "tok_timeout", key=key)
    charge_id = await sut.find_charge(key)

    with pytest.raises(GatewayTimeout):
        await authorize(sut, "tok_timeout", key=key)

    assert await sut.find_charge(key) == charge_id


async def test_declined_card_records_a_failed_charge(sut: SandboxPaymentGateway) -> None:
    key = new_key()
    with pytest.raises(PaymentDeclined):
        await authorize(sut, "tok_chargeDeclined", key=key)

    charge_id = await sut.find_charge(key)

    assert charge_id is not None
    assert await sut.charge_status(charge_id) == ChargeStatus.FAILED


async def test_void_of_an_unknown_charge_is_declined(sut: SandboxPaymentGateway) -> None:
    with pytest.raises(PaymentDeclined) as declined:
        await sut.void("ch_000000000000000000000000")

    assert declined.value.details == {"stage": "void", "gateway_code": "resource_missing"}


async def test_refund_of_an_unknown_charge_is_declined(sut: SandboxPaymentGateway) -> None:
    with pytest.raises(PaymentDeclined) as declined:
        await sut.refund("ch_000000000000000000000000", 100)

    assert declined.value.details == {"stage": "refund", "gateway_code": "resource_missing"}


async def test_authorize_refuses_a_non_positive_amount(sut: SandboxPaymentGateway) -> None:
    with pytest.raises(PaymentDeclined) as declined:
        await sut.authorize(idempotency_key=new_key(), amount_cents=0, currency="USD", card_token="tok_visa")

    assert declined.value.gateway_code == "invalid_amount"


async def test_capture_attempts_are_counted_across_instances_on_one_cache() -> None:
    cache = InMemoryCache()
    app, worker = (SandboxPaymentGateway(webhook_secret=SECRET, cache=cache) for _ in range(2))
    auth = await authorize(app, "tok_captureRetry")

    first = await app.capture(auth.charge_id)
    second = await worker.capture(auth.charge_id)
    third = await worker.capture(auth.charge_id)

    assert [first.captured, second.captured, third.captured] == [False, False, True]
    assert await app.charge_status(auth.charge_id) == ChargeStatus.CAPTURED


async def test_a_refund_is_seen_by_another_instance_and_happens_once() -> None:
    cache = InMemoryCache()
    app, admin = (SandboxPaymentGateway(webhook_secret=SECRET, cache=cache) for _ in range(2))
    auth = await authorize(app, "tok_visa")
    await app.capture(auth.charge_id)

    await admin.refund(auth.charge_id, 999)
    await app.refund(auth.charge_id, 999)

    assert await app.charge_status(auth.charge_id) == ChargeStatus.REFUNDED
    assert not (await app.capture(auth.charge_id)).captured


async def test_a_capture_delay_answers_late_with_the_charge_already_captured() -> None:
    cache = InMemoryCache()
    slow = SandboxPaymentGateway(webhook_secret=SECRET, cache=cache, capture_delay_seconds=0.2)
    observer = SandboxPaymentGateway(webhook_secret=SECRET, cache=cache)
    auth = await authorize(slow, "tok_visa")

    started = time.monotonic()
    capturing = asyncio.create_task(slow.capture(auth.charge_id))

    async def captured() -> bool:
        return await observer.charge_status(auth.charge_id) == ChargeStatus.CAPTURED

    await eventually(captured, deadline=5, interval=0.01)
    answered_while_captured = capturing.done()
    result = await capturing

    assert not answered_while_captured
    assert result.captured
    assert time.monotonic() - started >= 0.2  # the answer came after the delay


# --- webhooks ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["charge.captured", "charge.failed", "charge.refunded"])
async def test_webhook_is_signed_per_the_api_contract(sut: SandboxPaymentGateway, kind: str) -> None:
    auth = await authorize(sut, "tok_pending")

    body, header = await sut.webhook_for(auth.charge_id, kind, event_id="evt_1")

    assert re.fullmatch(r"t=1750000000,v1=[0-9a-f]{64}", header)
    assert signature_is_valid(SECRET, body, header)
    assert not signature_is_valid("whsec_other", body, header)
    assert json.loads(body) == {"event_id": "evt_1", "type": kind, "charge_id": auth.charge_id, "created": 1750000000}
    assert b" " not in body


async def test_a_tampered_body_does_not_verify(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_pending")

    body, header = await sut.webhook_for(auth.charge_id, "charge.captured")

    assert not signature_is_valid(SECRET, body.replace(b"captured", b"refunded"), header)


async def test_webhook_event_ids_name_one_event_per_charge_and_kind(sut: SandboxPaymentGateway) -> None:
    auth = await authorize(sut, "tok_pending")

    ids = [
        json.loads((await sut.webhook_for(auth.charge_id, kind))[0])["event_id"]
        for kind in ("charge.captured", "charge.captured", "charge.refunded")
    ]

    assert ids[0] == ids[1] != ids[2]
    assert re.fullmatch(r"evt_[0-9a-f]{24}", ids[0])


async def test_webhook_of_an_unknown_kind_is_refused(sut: SandboxPaymentGateway) -> None:
    with pytest.raises(ValueError, match="unknown webhook kind"):
        await sut.webhook_for("ch_000000000000000000000000", "charge.exploded")


def test_an_empty_webhook_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="webhook_secret"):
        SandboxPaymentGateway(webhook_secret="", cache=InMemoryCache())
