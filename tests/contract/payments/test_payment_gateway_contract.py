"""Contract of the PaymentGateway port, with the test tokens every adapter knows (tok_visa, tok_chargeDeclined).

The money rule under test: one charge per idempotency key, a capture or refund never happens twice.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from src.application.shop.payments import (
    Authorization,
    AuthorizationStatus,
    ChargeStatus,
    PaymentDeclined,
    PaymentGateway,
)


def new_key() -> str:
    return f"idem-{uuid.uuid4().hex}"


async def authorize(
    sut: PaymentGateway, card: str = "tok_visa", key: str | None = None, amount_cents: int = 499
) -> Authorization:
    return await sut.authorize(
        idempotency_key=key or new_key(), amount_cents=amount_cents, currency="USD", card_token=card
    )


async def captured_charge(sut: PaymentGateway) -> str:
    auth = await authorize(sut)
    assert (await sut.capture(auth.charge_id)).captured
    return auth.charge_id


# --- authorize -----------------------------------------------------------------------------------------------------


async def test_visa_is_approved_then_captured(sut: PaymentGateway) -> None:
    auth = await authorize(sut)
    status_after_authorize = await sut.charge_status(auth.charge_id)

    result = await sut.capture(auth.charge_id)

    assert auth.status is AuthorizationStatus.APPROVED
    assert status_after_authorize == ChargeStatus.AUTHORIZED
    assert result.captured
    assert result.gateway_code is None
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED


async def test_the_same_idempotency_key_returns_the_same_charge(sut: PaymentGateway) -> None:
    key = new_key()
    first = await authorize(sut, key=key)

    again = await authorize(sut, key=key)

    assert again == first
    assert await sut.find_charge(key) == first.charge_id


async def test_a_different_idempotency_key_makes_a_new_charge(sut: PaymentGateway) -> None:
    first = await authorize(sut)

    second = await authorize(sut)

    assert second.charge_id != first.charge_id


async def test_concurrent_authorizes_with_one_key_make_one_charge(sut: PaymentGateway) -> None:
    key = new_key()

    results = await asyncio.gather(*(authorize(sut, key=key) for _ in range(16)))

    assert {auth.charge_id for auth in results} == {await sut.find_charge(key)}


async def test_reusing_a_key_with_another_amount_is_declined(sut: PaymentGateway) -> None:
    key = new_key()
    first = await authorize(sut, key=key, amount_cents=499)

    with pytest.raises(PaymentDeclined) as declined:
        await authorize(sut, key=key, amount_cents=999)

    assert declined.value.gateway_code == "idempotency_key_reused"
    assert await sut.find_charge(key) == first.charge_id


async def test_declined_card_is_refused_at_authorize(sut: PaymentGateway) -> None:
    key = new_key()

    with pytest.raises(PaymentDeclined) as declined:
        await authorize(sut, card="tok_chargeDeclined", key=key)

    assert declined.value.code == "PAYMENT_FAILED"
    assert declined.value.details == {"stage": "authorize", "gateway_code": "card_declined"}
    with pytest.raises(PaymentDeclined, match="declined"):
        await authorize(sut, card="tok_chargeDeclined", key=key)


async def test_an_unknown_token_is_refused_and_leaves_no_charge(sut: PaymentGateway) -> None:
    key = new_key()

    with pytest.raises(PaymentDeclined) as declined:
        await authorize(sut, card="tok_made_up", key=key)

    assert declined.value.details == {"stage": "authorize", "gateway_code": "invalid_token"}
    assert await sut.find_charge(key) is None


async def test_unseen_charges_and_keys_are_unknown(sut: PaymentGateway) -> None:
    assert await sut.charge_status("ch_000000000000000000000000") == ChargeStatus.UNKNOWN
    assert await sut.find_charge(new_key()) is None


# --- capture, void, refund -----------------------------------------------------------------------------------------


async def test_capturing_twice_is_a_no_op(sut: PaymentGateway) -> None:
    charge_id = await captured_charge(sut)

    again = await sut.capture(charge_id)

    assert again.captured
    assert await sut.charge_status(charge_id) == ChargeStatus.CAPTURED


async def test_void_releases_an_authorization_and_is_idempotent(sut: PaymentGateway) -> None:
    auth = await authorize(sut)

    await sut.void(auth.charge_id)
    await sut.void(auth.charge_id)

    assert await sut.charge_status(auth.charge_id) == ChargeStatus.VOIDED
    assert not (await sut.capture(auth.charge_id)).captured


async def test_void_of_a_captured_charge_is_declined(sut: PaymentGateway) -> None:
    charge_id = await captured_charge(sut)

    with pytest.raises(PaymentDeclined) as declined:
        await sut.void(charge_id)

    assert declined.value.details == {"stage": "void", "gateway_code": "charge_already_captured"}
    assert await sut.charge_status(charge_id) == ChargeStatus.CAPTURED


async def test_refund_of_a_captured_charge_happens_once(sut: PaymentGateway) -> None:
    charge_id = await captured_charge(sut)

    await sut.refund(charge_id, 499)
    await sut.refund(charge_id, 499)

    assert await sut.charge_status(charge_id) == ChargeStatus.REFUNDED


@pytest.mark.parametrize("void_first", [False, True], ids=["authorized", "voided"])
async def test_refund_of_an_uncaptured_charge_is_declined(sut: PaymentGateway, void_first: bool) -> None:
    auth = await authorize(sut)
    if void_first:
        await sut.void(auth.charge_id)
    status_before = await sut.charge_status(auth.charge_id)

    with pytest.raises(PaymentDeclined) as declined:
        await sut.refund(auth.charge_id, 499)

    assert declined.value.details == {"stage": "refund", "gateway_code": "charge_not_captured"}
    assert await sut.charge_status(auth.charge_id) == status_before


async def test_refund_above_the_charged_amount_is_declined(sut: PaymentGateway) -> None:
    charge_id = await captured_charge(sut)

    with pytest.raises(PaymentDeclined) as declined:
        await sut.refund(charge_id, 500)

    assert declined.value.gateway_code == "invalid_amount"
    assert await sut.charge_status(charge_id) == ChargeStatus.CAPTURED


# --- one gateway, whichever instance is asked ------------------------------------------------------------------------


async def test_another_instance_knows_the_charge_and_its_key(sut: PaymentGateway, another: PaymentGateway) -> None:
    key = new_key()
    auth = await authorize(sut, key=key)

    again = await authorize(another, key=key)

    assert again == auth
    assert await another.find_charge(key) == auth.charge_id
    assert await another.charge_status(auth.charge_id) == ChargeStatus.AUTHORIZED


async def test_a_key_authorized_again_after_its_capture_names_the_captured_charge(
    sut: PaymentGateway, another: PaymentGateway
) -> None:
    """A retry from another process after a crash mid-capture: the same key can never open a second charge."""
    key = new_key()
    first = await authorize(sut, key=key)
    assert (await sut.capture(first.charge_id)).captured

    again = await authorize(another, key=key)
    recaptured = await another.capture(again.charge_id)

    assert again == first
    assert recaptured.captured
    assert await sut.charge_status(first.charge_id) == ChargeStatus.CAPTURED
    await another.refund(first.charge_id, 499)  # the whole amount of the one charge, refunded once
    assert await sut.charge_status(first.charge_id) == ChargeStatus.REFUNDED


async def test_a_capture_through_another_instance_is_seen_by_all(sut: PaymentGateway, another: PaymentGateway) -> None:
    auth = await authorize(sut)

    captured = await another.capture(auth.charge_id)

    assert captured.captured
    assert await sut.charge_status(auth.charge_id) == ChargeStatus.CAPTURED
    with pytest.raises(PaymentDeclined, match="declined"):
        await sut.void(auth.charge_id)


async def test_concurrent_capture_and_void_have_one_winner(sut: PaymentGateway, another: PaymentGateway) -> None:
    auths = [await authorize(sut) for _ in range(8)]

    async def void(charge_id: str) -> str:
        try:
            await another.void(charge_id)
        except PaymentDeclined:
            return "declined"
        return "voided"

    for auth in auths:
        captured, voided = await asyncio.gather(sut.capture(auth.charge_id), void(auth.charge_id))
        status = await sut.charge_status(auth.charge_id)
        assert (captured.captured, voided, status) in {
            (True, "declined", ChargeStatus.CAPTURED),
            (False, "voided", ChargeStatus.VOIDED),
        }
