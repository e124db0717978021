"""A buy whose first request died (its idempotency record abandoned in flight) is answered from its purchase.

The first request is played in the app (`buy` with the key, as the dead process ran it) and its idempotency record
is left as a killed process leaves it; the retry over HTTP must find that purchase, never open a second one.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from src.application.shop.purchases import BuyGems, buy
from src.domain.shop.transactions import PurchaseKind
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.idempotency import abandon_key

PATH = "/api/shop/buy"


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process"}


async def _first_request_died(client: Any, container: Container, player: dict[str, Any], body: dict[str, Any]) -> str:
    """The dead request's work: its purchase (with the key) went as far as it went; its answer was never stored."""
    user_id, key = player["user"]["id"], uuid.uuid4().hex
    order = BuyGems(user_id, PurchaseKind.CATALOG, body["sku"], 1, body["card_token"], idempotency_key=key)
    await in_app(client, lambda: buy(order, container.purchases))
    await in_app(client, lambda: abandon_key(container, user_id, PATH, key, body))
    return key


async def _retry(client: Any, player: dict[str, Any], key: str, body: dict[str, Any]) -> Any:
    return await client.post(PATH, json=body, headers={**bearer(player), "idempotency-key": key})


async def _state(client: Any, player: dict[str, Any]) -> tuple[list[str], int]:
    transactions = (await client.get("/api/shop/transactions?limit=100", headers=bearer(player))).json()["items"]
    wallet = (await client.get("/api/wallet", headers=bearer(player))).json()
    return [tx["id"] for tx in transactions], int(wallet["gems"])


async def test_a_captured_purchase_answers_the_retry_and_is_stored_as_the_keys_answer(
    client: Any, container: Container
) -> None:
    player = await sign_up(client)
    body = {"sku": "gems_100", "quantity": 1, "card_token": "tok_visa"}
    key = await _first_request_died(client, container, player, body)
    (opened,), granted = await _state(client, player)

    retried = await _retry(client, player, key, body)
    replayed = await _retry(client, player, key, body)

    assert retried.status_code == 200, retried.text
    assert (retried.json()["transaction_id"], retried.json()["status"]) == (opened, "captured")
    assert "idempotent-replayed" not in retried.headers
    assert (replayed.content, replayed.headers["idempotent-replayed"]) == (retried.content, "true")
    assert await _state(client, player) == ([opened], granted)


async def test_a_pending_purchase_answers_pending_until_it_settles_then_its_final_answer(
    client: Any, container: Container
) -> None:
    player = await sign_up(client)
    body = {"sku": "gems_100", "quantity": 1, "card_token": "tok_pending"}
    key = await _first_request_died(client, container, player, body)
    (opened,), _ = await _state(client, player)

    while_pending = await _retry(client, player, key, body)
    charge_id = while_pending.json()["charge_id"]
    raw, signature = await in_app(client, lambda: container.purchases.gateway.webhook_for(charge_id, "charge.captured"))
    hook = await client.post("/api/shop/webhook/payment", content=raw, headers={"x-signature": signature})
    settled = await _retry(client, player, key, body)
    replayed = await _retry(client, player, key, body)

    assert (while_pending.status_code, while_pending.json()["transaction_id"]) == (200, opened)
    assert (while_pending.json()["status"], "idempotent-replayed" in while_pending.headers) == ("pending", False)
    assert hook.status_code == 200, hook.text
    assert (settled.json()["transaction_id"], settled.json()["status"]) == (opened, "captured")
    assert "idempotent-replayed" not in settled.headers  # the pending answer was not stored
    assert (replayed.content, replayed.headers["idempotent-replayed"]) == (settled.content, "true")
    assert await _state(client, player) == ([opened], 100)


async def test_a_declined_purchase_answers_its_decline_and_never_charges_again(
    client: Any, container: Container
) -> None:
    player = await sign_up(client)
    body = {"sku": "gems_100", "quantity": 1, "card_token": "tok_chargeDeclined"}
    user_id, key = player["user"]["id"], uuid.uuid4().hex
    order = BuyGems(user_id, PurchaseKind.CATALOG, "gems_100", 1, "tok_chargeDeclined", idempotency_key=key)
    with pytest.raises(Exception, match="declined"):
        await in_app(client, lambda: buy(order, container.purchases))
    await in_app(client, lambda: abandon_key(container, user_id, PATH, key, body))

    retried = await _retry(client, player, key, body)

    assert (retried.status_code, retried.json()["error"]["code"]) == (402, "PAYMENT_FAILED")
    assert len((await _state(client, player))[0]) == 1
