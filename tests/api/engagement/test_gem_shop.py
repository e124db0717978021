"""The streak shield bought with gems: one ledger debit and the shields, at the caller's VIP price, once per
Idempotency-Key (replayed, and 16 racing requests with one key charge once); refusals take nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.engagement.conftest import PROTECT, get_ok, shields
from tests.support.api import bearer

Client = AsyncTestClient[Litestar]
ITEMS, BUY = "/api/shop/items", "/api/shop/items/buy"


async def _grant_gems(client: Client, admin: dict[str, Any], player: dict[str, Any], amount: int) -> None:
    response = await client.post(
        f"/api/admin/users/{player['user']['id']}/grant",
        json={"currency": "gems", "amount": amount, "reason": "test gems"},
        headers=bearer(admin) | {"idempotency-key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


async def _gem_ledger(client: Client, player: dict[str, Any]) -> list[int]:
    body = await get_ok(client, "/api/wallet/ledger?limit=100", player)
    return [entry["delta"] for entry in body["items"] if entry["reason"] == "item_purchase"]


async def test_the_shield_is_listed_at_the_callers_vip_price(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    member = await get_ok(client, ITEMS, player)
    patched = await client.patch(
        f"/api/admin/users/{player['user']['id']}", json={"vip_tier": 5}, headers=bearer(admin)
    )
    assert patched.status_code == 200
    diamond = await get_ok(client, ITEMS, player)

    assert member["items"] == [
        {
            "item_id": "streak_shield",
            "name": "Streak Shield",
            "description": "Keeps your daily streak over one missed day",
            "price_gems": 50,
            "vip_discount_percent": 0,
            "final_price_gems": 50,
            "max_quantity": 5,
        }
    ]
    assert (diamond["items"][0]["vip_discount_percent"], diamond["items"][0]["final_price_gems"]) == (15, 43)  # 42.5


async def test_buying_shields_debits_gems_once_per_key_and_the_shield_protects_the_streak(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await _grant_gems(client, admin, player, 200)
    headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

    racing = await asyncio.gather(
        *(client.post(BUY, json={"item_id": "streak_shield", "quantity": 2}, headers=headers) for _ in range(16))
    )
    replay = await client.post(BUY, json={"item_id": "streak_shield", "quantity": 2}, headers=headers)

    done = [r for r in racing if r.status_code == 200]
    assert done, [r.text for r in racing]
    assert {r.status_code for r in racing} <= {200, 409}
    assert {r.json()["error"]["code"] for r in racing if r.status_code == 409} <= {"IDEMPOTENCY_IN_PROGRESS"}
    assert all(r.json() == done[0].json() for r in done)
    assert done[0].json() == {
        "item_id": "streak_shield",
        "quantity": 2,
        "gems_spent": 100,
        "new_gem_balance": 100,
        "owned": 2,
    }
    assert replay.status_code == 200
    assert replay.json() == done[0].json()
    assert await _gem_ledger(client, player) == [-100]
    assert (await get_ok(client, "/api/wallet", player))["gems"] == 100
    assert await shields(client, player) == 2
    assert (await client.post(PROTECT, headers=bearer(player))).status_code == 200
    assert await shields(client, player) == 1


async def test_too_few_gems_is_409_and_takes_nothing(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await _grant_gems(client, admin, player, 49)

    response = await client.post(
        BUY, json={"item_id": "streak_shield"}, headers=bearer(player) | {"idempotency-key": uuid.uuid4().hex}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert (await get_ok(client, "/api/wallet", player))["gems"] == 49
    assert await shields(client, player) == 0


async def test_bad_purchases_are_refused_with_the_contracts_codes(client: Client, player: dict[str, Any]) -> None:
    keyed = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

    no_key = await client.post(BUY, json={"item_id": "streak_shield"}, headers=bearer(player))
    unknown = await client.post(BUY, json={"item_id": "golden_ticket"}, headers=keyed)
    too_many = await client.post(
        BUY, json={"item_id": "streak_shield", "quantity": 6}, headers=bearer(player) | {"idempotency-key": "k2"}
    )
    anonymous = await client.get(ITEMS)

    assert (no_key.status_code, no_key.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [field["key"] for field in too_many.json()["error"]["details"]["fields"]] == ["quantity"]
    assert anonymous.status_code == 401


async def test_a_timed_out_player_buys_nothing_with_gems(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await _grant_gems(client, admin, player, 200)
    taken = await client.post("/api/limits/time-out", json={"duration": "24h"}, headers=bearer(player))
    headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

    refused = await client.post(BUY, json={"item_id": "streak_shield", "quantity": 1}, headers=headers)

    assert taken.status_code == 200, taken.text
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "TIMED_OUT"
    assert datetime.fromisoformat(error["details"]["until"]) == datetime.fromisoformat(taken.json()["until"])
    assert await _gem_ledger(client, player) == []
    assert (await get_ok(client, "/api/wallet", player))["gems"] == 200
    assert await shields(client, player) == 0
