"""POST /api/shop/buy: server pricing, idempotent charging, rank gates, declines, fraud velocity, receipts."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.domain.shared.principal import Rank
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process", "capture_retry_base_seconds": 0.05}


def _key() -> dict[str, str]:
    return {"idempotency-key": uuid.uuid4().hex}


async def _buy(client: Any, player: dict[str, Any], headers: dict[str, str] | None = None, **body: Any) -> Any:
    payload = {"sku": "gems_100", "card_token": "tok_visa", **body}
    return await client.post("/api/shop/buy", json=payload, headers={**bearer(player), **(headers or _key())})


async def _gems(client: Any, player: dict[str, Any]) -> int:
    wallet = await client.get("/api/wallet", headers=bearer(player))
    return int(wallet.json()["gems"])


async def _transactions(client: Any, player: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get("/api/shop/transactions?limit=100", headers=bearer(player))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_visa_purchase_is_captured_granted_and_receipted(client: Any) -> None:
    player = await sign_up(client)

    response = await _buy(client, player, price_cents=1, quantity=2)

    assert response.status_code == 200, response.text
    sut = response.json()
    assert (sut["status"], sut["gems_granted"], sut["new_gem_balance"]) == ("captured", 200, 200)
    assert (sut["amount_cents"], sut["currency"]) == (198, "USD")  # the client's price_cents is ignored
    assert sut["charge_id"]
    assert await _gems(client, player) == 200
    ledger = (await client.get("/api/wallet/ledger", headers=bearer(player))).json()["items"]
    assert [(e["currency"], e["delta"], e["reason"], e["ref_id"]) for e in ledger[:1]] == [
        ("gems", 200, "purchase", sut["transaction_id"])
    ]
    verify = await client.post(
        "/api/shop/receipts/verify",
        json={"transaction_id": sut["transaction_id"], "receipt_signature": sut["receipt_signature"]},
        headers=bearer(player),
    )
    forged = await client.post(
        "/api/shop/receipts/verify",
        json={"transaction_id": sut["transaction_id"], "receipt_signature": "0" * 64},
        headers=bearer(player),
    )
    assert (verify.json(), forged.json()) == ({"valid": True}, {"valid": False})
    detail = (await client.get(f"/api/shop/transactions/{sut['transaction_id']}", headers=bearer(player))).json()
    assert [change["status"] for change in detail["history"]] == ["pending", "authorized", "captured"]


async def test_buying_needs_an_idempotency_key(client: Any) -> None:
    player = await sign_up(client)

    response = await client.post(
        "/api/shop/buy", json={"sku": "gems_100", "card_token": "tok_visa"}, headers=bearer(player)
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert await _transactions(client, player) == []


async def test_a_replayed_key_answers_the_same_and_charges_once(client: Any) -> None:
    player, key = await sign_up(client), _key()

    first = await _buy(client, player, key)
    replay = await _buy(client, player, key)
    other_body = await _buy(client, player, key, sku="gems_550")

    assert first.status_code == replay.status_code == 200
    assert replay.content == first.content  # the stored answer, its balance written by the grant's statement
    assert replay.headers.get("idempotent-replayed") == "true"
    assert (other_body.status_code, other_body.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert len(await _transactions(client, player)) == 1
    assert await _gems(client, player) == 100


async def test_sixteen_concurrent_requests_with_one_key_charge_and_grant_once(client: Any) -> None:
    player, key = await sign_up(client), _key()

    responses = await asyncio.gather(*(_buy(client, player, key) for _ in range(16)))

    statuses = sorted({response.status_code for response in responses})
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    bodies = {response.text for response in responses if response.status_code == 200}
    assert len(bodies) == 1
    conflicts = [r.json()["error"]["code"] for r in responses if r.status_code == 409]
    assert set(conflicts) <= {"IDEMPOTENCY_IN_PROGRESS"}
    transactions = await _transactions(client, player)
    assert [(tx["status"], tx["gems_granted"]) for tx in transactions] == [("captured", 100)]
    assert await _gems(client, player) == 100


@pytest.mark.parametrize(("sku", "required"), [("gems_8000_vip", "VIP"), ("gems_3000_premium", "PREMIUM")])
async def test_rank_gated_items_need_the_rank(client: Any, sku: str, required: str) -> None:
    player = await sign_up(client)

    response = await _buy(client, player, sku=sku)

    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("RANK_REQUIRED", {"required": required, "current": "STANDARD"})
    assert await _transactions(client, player) == []


async def test_the_rank_is_read_from_the_account_not_the_token(client: Any, container: Container) -> None:
    player = await sign_up(client)  # its access token still says STANDARD

    async def promote() -> None:
        async with container.uow_factory() as uow:
            user = await uow.users.get(player["user"]["id"])  # type: ignore[attr-defined]
            await uow.users.update(replace(user, rank=Rank.VIP))  # type: ignore[attr-defined]
            await uow.commit()

    await in_app(client, promote)
    response = await _buy(client, player, sku="gems_8000_vip")

    assert (response.status_code, response.json()["gems_granted"]) == (200, 8000)


@pytest.mark.parametrize(
    ("token", "gateway_code"), [("tok_chargeDeclined", "card_declined"), ("tok_stolen", "invalid_token")]
)
async def test_a_declined_card_is_402_and_recorded_as_failed(client: Any, token: str, gateway_code: str) -> None:
    player = await sign_up(client)

    response = await _buy(client, player, card_token=token)

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (
        "PAYMENT_FAILED",
        {"stage": "authorize", "gateway_code": gateway_code},
    )
    transactions = await _transactions(client, player)
    assert [(tx["status"], tx["failure_reason"], tx["gems_granted"]) for tx in transactions] == [
        ("failed", "PAYMENT_DECLINED", 0)
    ]
    assert await _gems(client, player) == 0


async def test_unknown_and_disabled_items_are_refused(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    sku = f"off_{uuid.uuid4().hex[:10]}"
    created = await client.post(
        "/api/admin/catalog/items",
        json={"sku": sku, "name": "Off Pack", "price_cents": 100, "gems": 10, "enabled": False},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text

    unknown = await _buy(client, player, sku="no_such_pack")
    disabled = await _buy(client, player, sku=sku)

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (disabled.status_code, disabled.json()["error"]["code"]) == (403, "DISABLED")


async def test_a_discount_applies_only_until_it_ends(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    skus = {}
    for label, ends in (("running", timedelta(days=1)), ("ended", timedelta(seconds=-1))):
        skus[label] = f"disc_{uuid.uuid4().hex[:10]}"
        body = {
            "sku": skus[label],
            "name": "Discounted",
            "price_cents": 1000,
            "gems": 100,
            "discount_percent": 25,
            "discount_ends_at": (datetime.now(UTC) + ends).isoformat(),
        }
        assert (await client.post("/api/admin/catalog/items", json=body, headers=bearer(admin))).status_code == 201

    running = await _buy(client, player, sku=skus["running"])
    ended = await _buy(client, player, sku=skus["ended"])

    assert (running.json()["amount_cents"], ended.json()["amount_cents"]) == (750, 1000)


async def test_twenty_attempts_in_five_minutes_trip_the_fraud_block(client: Any) -> None:
    player = await sign_up(client)

    answers = [(await _buy(client, player)).status_code for _ in range(20)]

    assert answers == [200] * 19 + [429]
    blocked = await _buy(client, player)
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (429, "FRAUD_BLOCK")
    failed = [tx for tx in await _transactions(client, player) if tx["status"] == "failed"]
    assert [tx["failure_reason"] for tx in failed] == ["FRAUD_BLOCK", "FRAUD_BLOCK"]
    assert await _gems(client, player) == 19 * 100


async def test_a_third_card_in_five_minutes_trips_the_fraud_block(client: Any) -> None:
    player = await sign_up(client)

    first = await _buy(client, player, card_token="tok_visa")
    second = await _buy(client, player, card_token="tok_chargeDeclined")
    third = await _buy(client, player, card_token="tok_pending")

    assert (first.status_code, second.status_code) == (200, 402)
    assert (third.status_code, third.json()["error"]["code"]) == (429, "FRAUD_BLOCK")
    assert third.json()["error"]["details"]["rule"] == "distinct_cards"


async def test_a_player_sees_only_their_own_transactions(client: Any) -> None:
    alice, bob = await sign_up(client), await sign_up(client)
    bought = (await _buy(client, alice)).json()

    theirs = await client.get(f"/api/shop/transactions/{bought['transaction_id']}", headers=bearer(bob))
    receipt = await client.post(
        "/api/shop/receipts/verify",
        json={"transaction_id": bought["transaction_id"], "receipt_signature": bought["receipt_signature"]},
        headers=bearer(bob),
    )

    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert receipt.json() == {"valid": False}
    assert await _transactions(client, bob) == []


async def test_a_pending_authorization_answers_pending_with_its_charge(client: Any) -> None:
    player = await sign_up(client)

    response = await _buy(client, player, card_token="tok_pending")

    assert response.status_code == 200, response.text
    sut = response.json()
    assert (sut["status"], sut["gems_granted"], sut["new_gem_balance"]) == ("pending", 0, 0)
    assert sut["charge_id"]


async def _settled(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any]:
    for _ in range(200):
        tx: dict[str, Any] = (await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))).json()
        if tx["status"] not in ("pending", "authorized"):
            return tx
        await asyncio.sleep(0.05)
    raise AssertionError(f"transaction {tx_id} did not settle: {tx}")


async def test_capture_retries_in_process_end_captured_or_failed(client: Any) -> None:
    player = await sign_up(client)

    retried = (await _buy(client, player, card_token="tok_captureRetry")).json()
    failing = (await _buy(client, player, card_token="tok_captureFail")).json()

    assert (retried["status"], failing["status"]) == ("pending", "pending")
    captured = await _settled(client, player, retried["transaction_id"])
    failed = await _settled(client, player, failing["transaction_id"])
    assert (captured["status"], captured["capture_attempts"], captured["gems_granted"]) == ("captured", 3, 100)
    assert (failed["status"], failed["failure_reason"], failed["capture_attempts"]) == (
        "failed",
        "CAPTURE_FAILED",
        5,
    )
    assert await _gems(client, player) == 100
