"""POST /api/admin/transactions/{id}/refund on PostgreSQL + Redis: the clawback model, audit, idempotency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

import pytest

from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.application.shared.commands import ClientInfo
from src.application.shop.payments import GatewayTimeout
from src.application.shop.ports import PurchaseUnitOfWork
from src.application.shop.refunds import RefundPurchase, refund_purchase
from src.domain.shared.principal import Principal, Rank
from src.domain.wallet.model import Currency, Movement
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up

PACK, PACK_GEMS = "gems_550", 550
TEN_PULLS = 450


def _key() -> dict[str, str]:
    return {"idempotency-key": uuid.uuid4().hex}


async def _bought(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A player and their captured purchase of 550 gems."""
    player = await sign_up(client)
    response = await client.post(
        "/api/shop/buy", json={"sku": PACK, "card_token": "tok_visa"}, headers={**bearer(player), **_key()}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "captured"
    return player, response.json()


async def _refund(
    client: Any, admin: dict[str, Any], tx_id: str, headers: dict[str, str] | None = None, **body: Any
) -> Any:
    return await client.post(
        f"/api/admin/transactions/{tx_id}/refund", json=body, headers={**bearer(admin), **(headers or _key())}
    )


async def _wallet(client: Any, player: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    gems = int((await client.get("/api/wallet", headers=bearer(player))).json()["gems"])
    ledger = (await client.get("/api/wallet/ledger?limit=100", headers=bearer(player))).json()["items"]
    return gems, [entry for entry in ledger if entry["currency"] == "gems"]


async def _spend_ten_pulls(client: Any, player: dict[str, Any]) -> None:
    response = await client.post("/api/games/gacha/pull", json={"count": 10}, headers=bearer(player))
    assert response.status_code == 200, response.text
    assert response.json()["cost"] == TEN_PULLS


async def test_unspent_gems_are_all_clawed_back(client: Any, admin: dict[str, Any]) -> None:
    player, bought = await _bought(client)
    tx_id = bought["transaction_id"]

    response = await _refund(client, admin, tx_id, reason="customer asked")

    assert response.status_code == 200, response.text
    sut = response.json()
    assert (sut["status"], sut["refunded_cents"], sut["currency"]) == ("refunded", bought["amount_cents"], "USD")
    assert (sut["gems_granted"], sut["clawed_back_gems"], sut["outstanding_gems"]) == (PACK_GEMS, PACK_GEMS, 0)
    assert sut["new_gem_balance"] == 0
    gems, ledger = await _wallet(client, player)
    assert gems == 0
    assert [(e["delta"], e["balance_after"], e["reason"], e["ref_type"], e["ref_id"]) for e in ledger[:1]] == [
        (-PACK_GEMS, 0, "purchase_refund", "purchase", tx_id)
    ]
    mine = (await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))).json()
    assert (mine["status"], mine["clawed_back_gems"], mine["outstanding_gems"]) == ("refunded", PACK_GEMS, 0)
    assert (mine["history"][-1]["status"], mine["history"][-1]["reason"]) == ("refunded", "customer asked")


async def test_spent_gems_are_recorded_as_outstanding_and_the_balance_stops_at_zero(
    client: Any, admin: dict[str, Any]
) -> None:
    player, bought = await _bought(client)
    await _spend_ten_pulls(client, player)  # 550 - 450: 100 gems left

    response = await _refund(client, admin, bought["transaction_id"])

    assert response.status_code == 200, response.text
    sut = response.json()
    assert (sut["clawed_back_gems"], sut["outstanding_gems"], sut["new_gem_balance"]) == (100, TEN_PULLS, 0)
    assert sut["transaction"]["outstanding_gems"] == TEN_PULLS
    gems, ledger = await _wallet(client, player)
    assert gems == 0
    assert sum(entry["delta"] for entry in ledger) == gems  # the ledger still explains the balance
    assert all(entry["balance_after"] >= 0 for entry in ledger)
    assert [entry["delta"] for entry in ledger if entry["reason"] == "purchase_refund"] == [-100]


async def test_the_refund_is_audit_logged(client: Any, admin: dict[str, Any]) -> None:
    _, bought = await _bought(client)
    tx_id = bought["transaction_id"]

    await _refund(client, admin, tx_id, reason="chargeback")

    logs = await client.get("/api/admin/audit/logs?action=transaction.refund&limit=100", headers=bearer(admin))
    assert logs.status_code == 200, logs.text
    entries = [entry for entry in logs.json()["items"] if entry["target_id"] == tx_id]
    assert len(entries) == 1
    assert entries[0]["payload"]["clawed_back_gems"] == PACK_GEMS
    assert entries[0]["payload"]["note"] == "chargeback"


async def test_a_refund_needs_no_body(client: Any, admin: dict[str, Any]) -> None:
    _, bought = await _bought(client)

    response = await client.post(
        f"/api/admin/transactions/{bought['transaction_id']}/refund", headers={**bearer(admin), **_key()}
    )

    assert response.status_code == 200, response.text
    assert response.json()["clawed_back_gems"] == PACK_GEMS


async def test_a_refund_needs_an_idempotency_key(client: Any, admin: dict[str, Any]) -> None:
    player, bought = await _bought(client)

    response = await client.post(
        f"/api/admin/transactions/{bought['transaction_id']}/refund", json={}, headers=bearer(admin)
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (await _wallet(client, player))[0] == PACK_GEMS


async def test_a_replayed_key_answers_the_same_refund(client: Any, admin: dict[str, Any]) -> None:
    player, bought = await _bought(client)
    key = _key()
    first = await _refund(client, admin, bought["transaction_id"], key, reason="x")

    replay = await _refund(client, admin, bought["transaction_id"], key, reason="x")
    other_body = await _refund(client, admin, bought["transaction_id"], key, reason="y")

    assert (replay.status_code, replay.text) == (200, first.text)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert (other_body.status_code, other_body.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    _, ledger = await _wallet(client, player)
    assert len([entry for entry in ledger if entry["reason"] == "purchase_refund"]) == 1


async def test_refunding_a_refunded_purchase_with_a_new_key_answers_its_refund(
    client: Any, admin: dict[str, Any]
) -> None:
    player, bought = await _bought(client)
    first = (await _refund(client, admin, bought["transaction_id"])).json()

    again = await _refund(client, admin, bought["transaction_id"])

    assert again.status_code == 200, again.text
    assert again.headers.get("idempotent-replayed") is None
    assert again.json()["transaction"] == first["transaction"]
    _, ledger = await _wallet(client, player)
    assert len([entry for entry in ledger if entry["reason"] == "purchase_refund"]) == 1


async def test_concurrent_refunds_with_one_key_claw_back_once(client: Any, admin: dict[str, Any]) -> None:
    player, bought = await _bought(client)
    key = _key()

    responses = await asyncio.gather(*(_refund(client, admin, bought["transaction_id"], key) for _ in range(8)))

    assert {response.status_code for response in responses} <= {200, 409}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {"IDEMPOTENCY_IN_PROGRESS"}
    assert len({response.text for response in responses if response.status_code == 200}) == 1
    gems, ledger = await _wallet(client, player)
    assert gems == 0
    assert [entry["delta"] for entry in ledger if entry["reason"] == "purchase_refund"] == [-PACK_GEMS]


async def test_concurrent_refunds_with_different_keys_claw_back_once(client: Any, admin: dict[str, Any]) -> None:
    player, bought = await _bought(client)

    responses = await asyncio.gather(*(_refund(client, admin, bought["transaction_id"]) for _ in range(6)))

    assert [response.status_code for response in responses] == [200] * 6, [r.text for r in responses]
    assert {response.json()["clawed_back_gems"] for response in responses} == {PACK_GEMS}
    gems, ledger = await _wallet(client, player)
    assert gems == 0
    assert [entry["delta"] for entry in ledger if entry["reason"] == "purchase_refund"] == [-PACK_GEMS]


async def test_a_gateway_that_does_not_answer_is_503_and_the_same_key_can_retry(
    client: Any, admin: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    player, bought = await _bought(client)
    key = _key()

    async def no_answer(*_: Any) -> None:
        raise GatewayTimeout

    with monkeypatch.context() as patch:
        patch.setattr(SandboxPaymentGateway, "refund", no_answer)
        timed_out = await _refund(client, admin, bought["transaction_id"], key)
    retried = await _refund(client, admin, bought["transaction_id"], key)

    assert (timed_out.status_code, timed_out.json()["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert timed_out.headers["retry-after"] == "5"
    assert (retried.status_code, retried.json()["status"]) == (200, "refunded")
    assert retried.headers.get("idempotent-replayed") is None
    assert (await _wallet(client, player))[0] == 0


async def test_a_purchase_that_was_not_captured_is_409_not_refundable(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    pending = await client.post(
        "/api/shop/buy", json={"sku": PACK, "card_token": "tok_pending"}, headers={**bearer(player), **_key()}
    )

    response = await _refund(client, admin, pending.json()["transaction_id"])

    assert response.status_code == 409, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["details"]) == (
        "NOT_REFUNDABLE",
        {"status": "pending"},
    )


async def test_an_unknown_transaction_is_404(client: Any, admin: dict[str, Any]) -> None:
    response = await _refund(client, admin, "no-such-transaction")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_players_cannot_refund(client: Any) -> None:
    player, bought = await _bought(client)

    response = await _refund(client, player, bought["transaction_id"])

    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert (await _wallet(client, player))[0] == PACK_GEMS


async def test_the_gateways_refund_webhook_claws_back_like_an_admin_refund(client: Any, container: Container) -> None:
    player, bought = await _bought(client)
    await _spend_ten_pulls(client, player)
    gateway = cast(SandboxPaymentGateway, container.gateway)
    body, signature = await in_app(client, lambda: gateway.webhook_for(bought["charge_id"], "charge.refunded"))

    response = await client.post(
        "/api/shop/webhook/payment",
        content=body,
        headers={"x-signature": signature, "content-type": "application/json"},
    )

    assert response.status_code == 200, response.text
    mine = (await client.get(f"/api/shop/transactions/{bought['transaction_id']}", headers=bearer(player))).json()
    assert (mine["status"], mine["clawed_back_gems"], mine["outstanding_gems"]) == ("refunded", 100, TEN_PULLS)
    assert (await _wallet(client, player))[0] == 0


class _SpendFirst:
    """Wallets whose first clawback debit lets a concurrent spend commit just before it (the race to cover)."""

    def __init__(self, inner: Any, spend: Callable[[], Awaitable[None]], raced: list[bool]) -> None:
        self._inner, self._spend, self._raced = inner, spend, raced

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def debit(self, movement: Movement, now: Any) -> Any:
        if movement.reason == "purchase_refund" and not self._raced:
            self._raced.append(True)
            await self._spend()
        return await self._inner.debit(movement, now)


class _RacingUnitOfWork:
    def __init__(self, inner: Any, spend: Callable[[], Awaitable[None]], raced: list[bool]) -> None:
        self._inner, self._spend, self._raced = inner, spend, raced

    async def __aenter__(self) -> _RacingUnitOfWork:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._inner.__aexit__(*exc_info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def wallets(self) -> _SpendFirst:
        return _SpendFirst(self._inner.wallets, self._spend, self._raced)


async def test_a_spend_landing_between_the_balance_read_and_the_clawback_is_split_again(
    client: Any, container: Container
) -> None:
    """The clawback's debit is refused by PostgreSQL (the balance fell meanwhile), so it reads and splits again."""
    player, bought = await _bought(client)
    user_id, deps, raced = player["user"]["id"], container.purchases, []

    async def spend_200() -> None:
        async with deps.uow_factory() as other:
            movement = Movement(user_id, Currency.GEMS, 200, "gacha_pull", "pull", uuid.uuid4().hex)
            await other.wallets.debit(movement, deps.clock.now())
            await other.commit()

    def racing() -> PurchaseUnitOfWork:
        return cast(PurchaseUnitOfWork, _RacingUnitOfWork(deps.uow_factory(), spend_200, raced))

    admin = Principal(user_id="admin-x", session_id="s", rank=Rank.STANDARD, is_admin=True)
    command = RefundPurchase(admin, ClientInfo(None), bought["transaction_id"], None)

    async def refund() -> Any:
        return await refund_purchase(command, replace(deps, uow_factory=racing))

    result = await in_app(client, refund)

    assert raced == [True]
    assert (result.transaction.clawed_back_gems, result.transaction.outstanding_gems) == (350, 200)
    assert result.gem_balance == 0
    gems, ledger = await _wallet(client, player)
    assert gems == 0
    assert [entry["delta"] for entry in ledger if entry["reason"] == "purchase_refund"] == [-350]
