"""POST /api/shop/webhook/payment on PostgreSQL + Redis: signature, time window, replays, duplicates, order."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any, cast

import pytest

from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.domain.shop.webhooks import sign
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up

SECRET = "whsec_api_current_0123456789"
OLD_SECRET = "whsec_api_previous_0123456789"
WEBHOOK = "/api/shop/webhook/payment"


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """Two webhook secrets, as during a rotation: the sandbox signs with the first, the second still verifies."""
    return {"payment_webhook_secrets": f"{SECRET},{OLD_SECRET}"}


def _gateway(container: Container) -> SandboxPaymentGateway:
    return cast(SandboxPaymentGateway, container.gateway)


async def _played(client: Any, container: Container, charge_id: str, kind: str, event_id: str | None = None) -> Any:
    """The sandbox gateway settles its side and signs the event, as the real gateway would send it."""
    return await in_app(client, lambda: _gateway(container).webhook_for(charge_id, kind, event_id))


async def _send(client: Any, body: bytes, signature: str | None) -> Any:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-signature"] = signature
    return await client.post(WEBHOOK, content=body, headers=headers)


def _event(charge_id: str, kind: str = "charge.captured", event_id: str | None = None) -> bytes:
    document = {"event_id": event_id or f"evt_{uuid.uuid4().hex}", "type": kind, "charge_id": charge_id}
    return json.dumps(document).encode()


def _signed(body: bytes, secret: str = SECRET, age: int = 0) -> str:
    return sign(secret, int(time.time()) - age, body)


async def _pending(client: Any) -> tuple[dict[str, Any], str, str]:
    """A player with a tok_pending purchase the gateway has not settled: (tokens, transaction id, charge id)."""
    player = await sign_up(client)
    body = {"sku": "gems_550", "card_token": "tok_pending"}
    response = await client.post(
        "/api/shop/buy", json=body, headers={**bearer(player), "idempotency-key": uuid.uuid4().hex}
    )
    assert response.status_code == 200, response.text
    bought = response.json()
    assert (bought["status"], bought["gems_granted"]) == ("pending", 0)
    return player, bought["transaction_id"], bought["charge_id"]


async def _transaction(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _gems(client: Any, player: dict[str, Any]) -> int:
    return int((await client.get("/api/wallet", headers=bearer(player))).json()["gems"])


async def _verdicts(client: Any, container: Container, event_id: str) -> list[str]:
    async def read() -> list[str]:
        async with container.purchases.uow_factory() as uow:
            page = await uow.webhooks.list_requests(100, None, event_id=event_id)
        return [request.verdict for request in reversed(page.items)]

    return await in_app(client, read)


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_a_pending_purchase_is_settled_by_its_signed_webhook(client: Any, container: Container) -> None:
    player, tx_id, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")

    response = await _send(client, body, signature)

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False, "applied": True, "verdict": "accepted"}
    settled = await _transaction(client, player, tx_id)
    assert (settled["status"], settled["gems_granted"]) == ("captured", 550)
    assert [change["status"] for change in settled["history"]] == ["pending", "captured"]
    assert await _gems(client, player) == 550
    assert await _verdicts(client, container, json.loads(body)["event_id"]) == ["accepted"]


async def test_a_bad_signature_is_400_and_the_request_is_kept(client: Any, container: Container) -> None:
    player, tx_id, charge_id = await _pending(client)
    body = _event(charge_id, event_id=f"evt_forged_{uuid.uuid4().hex}")

    response = await _send(client, body, _signed(body, secret="whsec_guessed"))

    assert _error(response) == (400, "WEBHOOK_SIGNATURE_INVALID")
    assert response.json()["error"]["request_id"]
    assert (await _transaction(client, player, tx_id))["status"] == "pending"
    assert await _verdicts(client, container, json.loads(body)["event_id"]) == ["signature_invalid"]


@pytest.mark.parametrize("signature", [None, "", "t=abc,v1=zz", "v1=" + "0" * 64])
async def test_a_missing_or_garbled_signature_is_400(client: Any, signature: str | None) -> None:
    response = await _send(client, _event("ch_whatever"), signature)

    assert _error(response) == (400, "WEBHOOK_SIGNATURE_INVALID")


async def test_a_body_changed_after_signing_is_400(client: Any, container: Container) -> None:
    _, _, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")

    response = await _send(client, body.replace(b"charge.captured", b"charge.refunded"), signature)

    assert _error(response) == (400, "WEBHOOK_SIGNATURE_INVALID")


async def test_a_request_older_than_300_seconds_is_409_replay(client: Any, container: Container) -> None:
    player, tx_id, charge_id = await _pending(client)
    body = _event(charge_id)

    response = await _send(client, body, _signed(body, age=301))

    assert _error(response) == (409, "WEBHOOK_REPLAY")
    assert (await _transaction(client, player, tx_id))["status"] == "pending"
    assert await _verdicts(client, container, json.loads(body)["event_id"]) == ["replay"]


async def test_a_replay_of_a_seen_request_is_409_and_grants_nothing_more(client: Any, container: Container) -> None:
    player, _, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")
    assert (await _send(client, body, signature)).status_code == 200

    replayed = await _send(client, body, signature)

    assert _error(replayed) == (409, "WEBHOOK_REPLAY")
    assert await _gems(client, player) == 550
    assert await _verdicts(client, container, json.loads(body)["event_id"]) == ["accepted", "replay"]


async def test_a_repeated_event_id_is_200_duplicate_with_no_effect(client: Any, container: Container) -> None:
    player, _, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")
    assert (await _send(client, body, signature)).status_code == 200

    signed_at = int(signature.split(",")[0].removeprefix("t="))

    redelivered = await _send(client, body, sign(SECRET, signed_at - 1, body))  # the same event, signed anew

    assert redelivered.status_code == 200, redelivered.text
    assert redelivered.json()["duplicate"] is True
    assert redelivered.json()["applied"] is False
    assert await _gems(client, player) == 550
    ledger = (await client.get("/api/wallet/ledger", headers=bearer(player))).json()["items"]
    assert [entry["delta"] for entry in ledger if entry["reason"] == "purchase"] == [550]


async def test_the_previous_secret_still_verifies_during_a_rotation(client: Any) -> None:
    player, tx_id, charge_id = await _pending(client)
    body = _event(charge_id, "charge.failed")

    response = await _send(client, body, _signed(body, secret=OLD_SECRET))

    assert response.status_code == 200, response.text
    failed = await _transaction(client, player, tx_id)
    assert (failed["status"], failed["failure_reason"]) == ("failed", "PAYMENT_DECLINED")


async def test_several_v1_values_are_accepted_when_any_is_valid(client: Any) -> None:
    player, tx_id, charge_id = await _pending(client)
    body = _event(charge_id)
    timestamp = int(time.time())
    valid = sign(SECRET, timestamp, body).split("v1=")[1]

    response = await _send(client, body, f"t={timestamp},v1={'ab' * 32},v1={valid}")

    assert response.status_code == 200, response.text
    assert (await _transaction(client, player, tx_id))["status"] == "captured"


async def test_a_refund_before_the_capture_wins_and_the_late_capture_grants_nothing(
    client: Any, container: Container
) -> None:
    player, tx_id, charge_id = await _pending(client)
    refunded_first = _event(charge_id, "charge.refunded")
    captured_late = _event(charge_id, "charge.captured")

    assert (await _send(client, refunded_first, _signed(refunded_first))).json()["applied"] is True
    late = await _send(client, captured_late, _signed(captured_late))

    assert late.status_code == 200, late.text
    assert (late.json()["applied"], late.json()["duplicate"]) == (False, False)
    sut = await _transaction(client, player, tx_id)
    assert (sut["status"], sut["gems_granted"], sut["refunded_cents"]) == ("refunded", 0, sut["amount_cents"])
    assert await _gems(client, player) == 0


async def test_a_capture_after_a_failure_leaves_it_failed(client: Any) -> None:
    player, tx_id, charge_id = await _pending(client)
    failed, captured = _event(charge_id, "charge.failed"), _event(charge_id, "charge.captured")
    await _send(client, failed, _signed(failed))

    late = await _send(client, captured, _signed(captured))

    assert (late.status_code, late.json()["applied"]) == (200, False)
    assert (await _transaction(client, player, tx_id))["status"] == "failed"
    assert await _gems(client, player) == 0


async def test_a_late_failure_does_not_undo_a_capture(client: Any, container: Container) -> None:
    player, tx_id, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")
    await _send(client, body, signature)
    failed = _event(charge_id, "charge.failed")

    late = await _send(client, failed, _signed(failed))

    assert (late.status_code, late.json()["applied"]) == (200, False)
    assert (await _transaction(client, player, tx_id))["status"] == "captured"
    assert await _gems(client, player) == 550


async def test_a_signed_body_that_is_not_an_event_is_400_validation_error(client: Any) -> None:
    body = b"{definitely not json"

    response = await _send(client, body, _signed(body))

    assert _error(response) == (400, "VALIDATION_ERROR")


async def test_an_event_for_an_unknown_charge_is_accepted_with_no_effect(client: Any, container: Container) -> None:
    event_id = f"evt_{uuid.uuid4().hex}"
    body = _event(f"ch_unknown_{uuid.uuid4().hex}", event_id=event_id)

    response = await _send(client, body, _signed(body))

    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["verdict"]) == (False, "unknown_charge")
    assert await _verdicts(client, container, event_id) == ["unknown_charge"]


async def test_admins_read_the_stored_requests_byte_for_byte(client: Any, admin: dict[str, Any]) -> None:
    event_id = f"evt_{uuid.uuid4().hex}"
    body = _event("ch_audit", event_id=event_id)
    forged = _signed(body, secret="whsec_guessed")
    await _send(client, body, forged)
    await _send(client, body, _signed(body))

    response = await client.get(f"/api/admin/webhook-requests?event_id={event_id}", headers=bearer(admin))
    player = await sign_up(client)
    refused = await client.get("/api/admin/webhook-requests", headers=bearer(player))

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["verdict"] for item in items] == ["unknown_charge", "signature_invalid"]  # newest first
    assert base64.b64decode(items[1]["raw_body"]) == body
    assert items[1]["signature"] == forged
    assert refused.status_code == 403


async def test_concurrent_deliveries_of_one_event_apply_it_once(client: Any, container: Container) -> None:
    player, tx_id, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")
    signed_at = int(signature.split(",")[0].removeprefix("t="))
    redeliveries = [sign(SECRET, signed_at - age, body) for age in range(6)]  # each signed anew

    responses = await asyncio.gather(*(_send(client, body, each) for each in redeliveries))

    assert [response.status_code for response in responses] == [200] * 6, [r.text for r in responses]
    assert sorted(response.json()["duplicate"] for response in responses) == [False] + [True] * 5
    assert (await _transaction(client, player, tx_id))["gems_granted"] == 550
    assert await _gems(client, player) == 550


async def test_concurrent_replays_of_one_request_let_exactly_one_through(client: Any, container: Container) -> None:
    player, _, charge_id = await _pending(client)
    body, signature = await _played(client, container, charge_id, "charge.captured")

    responses = await asyncio.gather(*(_send(client, body, signature) for _ in range(6)))

    assert sorted(response.status_code for response in responses) == [200] + [409] * 5
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"WEBHOOK_REPLAY"}
    assert await _gems(client, player) == 550


async def _verdict_of_body(client: Any, container: Container, body: bytes) -> list[str]:
    """The stored verdicts of requests with exactly these bytes (a body too deep to read claims no event id)."""

    async def read() -> list[str]:
        async with container.purchases.uow_factory() as uow:
            page = await uow.webhooks.list_requests(100, None, event_id=None)
        return [request.verdict for request in page.items if request.raw_body == body]

    return await in_app(client, read)


def _deep_event() -> bytes:
    """An event whose extra field nests 1000 levels: 2 KB that once overflowed the decoder's stack."""
    head = f'{{"event_id":"evt_{uuid.uuid4().hex}","type":"charge.captured","charge_id":"ch_deep","x":'.encode()
    return head + b"[" * 1000 + b"]" * 1000 + b"}"


@pytest.mark.parametrize(
    ("signed", "expected", "verdict"),
    [(True, "VALIDATION_ERROR", "malformed"), (False, "WEBHOOK_SIGNATURE_INVALID", "signature_invalid")],
)
async def test_a_body_nested_too_deep_is_400_and_kept_with_its_verdict(
    client: Any, container: Container, signed: bool, expected: str, verdict: str
) -> None:
    body = _deep_event()

    response = await _send(client, body, _signed(body) if signed else _signed(body, secret="whsec_guessed"))

    assert _error(response) == (400, expected)
    assert await _verdict_of_body(client, container, body) == [verdict]
