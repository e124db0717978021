"""VIP benefits applied by the server: the shop discount in the catalog and at buy (a replayed key never charges
again), the daily bonus once a calendar day (16 racing claims pay once, the next day pays again), the streak
multiplier, and the tier history of automatic upgrades and an admin's changes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.engagement.conftest import NEXT_REWARD, SettableClock, get_ok, tick_ok
from tests.support.api import bearer
from tests.support.realtime import settle

Client = AsyncTestClient[Litestar]
BONUS, HISTORY = "/api/vip/daily-bonus", "/api/vip/history"
RACERS = 16


async def _catalog_item(client: Client, admin: dict[str, Any], price_cents: int) -> str:
    sku = f"test_vipb_{uuid.uuid4().hex[:12]}"
    body = {"sku": sku, "name": "VIP Benefit Pack", "price_cents": price_cents, "gems": 100}
    response = await client.post("/api/admin/catalog/items", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return sku


async def _set_tier(client: Client, admin: dict[str, Any], player: dict[str, Any], tier: int) -> None:
    response = await client.patch(
        f"/api/admin/users/{player['user']['id']}", json={"vip_tier": tier}, headers=bearer(admin)
    )
    assert response.status_code == 200, response.text


async def _listed(client: Client, player: dict[str, Any], sku: str) -> dict[str, Any]:
    response = await client.get("/api/shop/catalog", headers=bearer(player))
    assert response.status_code == 200, response.text
    [item] = [item for item in response.json() if item["sku"] == sku]
    return dict(item)


async def _buy(client: Client, player: dict[str, Any], sku: str, key: str) -> Any:
    return await client.post(
        "/api/shop/buy",
        json={"sku": sku, "quantity": 2, "card_token": "tok_visa"},
        headers=bearer(player) | {"idempotency-key": key},
    )


async def test_the_tier_discount_is_in_the_callers_catalog_price_and_is_what_the_buy_charges(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=1_000)
    member = await _listed(client, player, sku)
    await _set_tier(client, admin, player, 2)  # Silver: 5 % off

    listed = await _listed(client, player, sku)
    bought = await _buy(client, player, sku, key := uuid.uuid4().hex)

    assert (member["final_price_cents"], member["vip_discount_percent"]) == (1_000, 0)
    assert (listed["price_cents"], listed["final_price_cents"], listed["vip_discount_percent"]) == (1_000, 950, 5)
    assert bought.status_code == 200, bought.text
    assert (bought.json()["status"], bought.json()["amount_cents"]) == ("captured", 1_900)  # 2 x 950
    await _set_tier(client, admin, player, 4)  # a higher discount later never re-prices the key's purchase
    replay = await _buy(client, player, sku, key)
    assert replay.status_code == 200
    assert replay.json() == bought.json()
    transactions = (await get_ok(client, "/api/shop/transactions", player))["items"]
    assert [(tx["sku"], tx["amount_cents"]) for tx in transactions] == [(sku, 1_900)]


async def test_the_item_discount_then_the_vip_discount_then_a_promo_each_round_to_the_cent(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=999)
    changed = await client.put(f"/api/admin/catalog/items/{sku}", json={"discount_percent": 20}, headers=bearer(admin))
    assert changed.status_code == 200, changed.text
    await _set_tier(client, admin, player, 3)  # Gold: 7 % off

    listed = await _listed(client, player, sku)

    assert listed["final_price_cents"] == 743  # 999 → 799 (20 %) → 743 (7 %: 743.07)


async def test_a_member_has_no_daily_bonus(client: Client, player: dict[str, Any]) -> None:
    response = await client.post(BONUS, headers=bearer(player))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NOT_CLAIMABLE"


async def test_sixteen_racing_claims_pay_once_and_the_next_calendar_day_pays_again(
    client: Client, admin: dict[str, Any], player: dict[str, Any], clock: SettableClock
) -> None:
    await _set_tier(client, admin, player, 2)  # Silver: 250 coins a day
    clock.at(date(2031, 5, 6), hour=23, minute=59)

    before = (await get_ok(client, "/api/vip/status", player))["daily_bonus"]
    responses = await asyncio.gather(*(client.post(BONUS, headers=bearer(player)) for _ in range(RACERS)))
    same_day = await client.post(BONUS, headers=bearer(player))
    after = (await get_ok(client, "/api/vip/status", player))["daily_bonus"]
    clock.at(date(2031, 5, 7), hour=0, minute=0)
    next_day = await client.post(BONUS, headers=bearer(player))

    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"ALREADY_CLAIMED"}
    [paid] = [r.json() for r in responses if r.status_code == 200]
    assert paid == {
        "tier": 2,
        "coins": 250,
        "claimed_for": "2031-05-06",
        "balances": {"coins": 1_250},
        "next_available_at": "2031-05-07T00:00:00Z",
    }
    assert before == {"coins": 250, "claimed_today": False, "available_at": "2031-05-06T23:59:00Z"}
    assert after == {"coins": 250, "claimed_today": True, "available_at": "2031-05-07T00:00:00Z"}
    assert same_day.status_code == 409
    assert same_day.json()["error"]["details"] == {"next_available_at": "2031-05-07T00:00:00Z"}
    assert next_day.status_code == 200, next_day.text
    assert (next_day.json()["claimed_for"], next_day.json()["balances"]) == ("2031-05-07", {"coins": 1_500})
    ledger = (await get_ok(client, "/api/wallet/ledger?limit=100", player))["items"]
    assert [entry["delta"] for entry in ledger if entry["reason"] == "vip_daily_bonus"] == [250, 250]


async def test_the_streak_reward_is_scaled_by_the_tier_multiplier(
    client: Client, admin: dict[str, Any], player: dict[str, Any], clock: SettableClock
) -> None:
    await _set_tier(client, admin, player, 2)  # Silver: 125 %
    clock.on_day(0)

    upcoming = await get_ok(client, NEXT_REWARD, player)
    ticked = await tick_ok(client, player)

    assert (upcoming["coins"], upcoming["gems"]) == (125, 0)
    assert ticked["reward"] == {"coins": 125, "gems": 0}
    assert ticked["balances"] == {"coins": 1_125}


async def test_the_history_lists_an_earned_upgrade_and_an_admins_change_newest_first(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=300)  # 2 x $3.00 reaches Bronze's $4.99
    bought = await _buy(client, player, sku, uuid.uuid4().hex)
    assert bought.status_code == 200, bought.text
    await settle(client)
    await _set_tier(client, admin, player, 3)
    await settle(client)

    sut = await get_ok(client, HISTORY, player)

    changes = [(c["from_tier"], c["to_tier"], c["name"], c["reason"]) for c in sut["items"]]
    assert changes == [(1, 3, "Gold", "admin"), (0, 1, "Bronze", "earned")]
    assert sut["next_cursor"] is None
    page = await get_ok(client, f"{HISTORY}?limit=1", player)
    assert len(page["items"]) == 1
    assert page["next_cursor"] is not None
    rest = await get_ok(client, f"{HISTORY}?limit=1&cursor={page['next_cursor']}", player)
    assert [c["to_tier"] for c in rest["items"]] == [1]


async def test_the_new_vip_routes_need_a_token(client: Client) -> None:
    for method, url in (("get", HISTORY), ("post", BONUS)):
        response = await getattr(client, method)(url)

        assert response.status_code == 401, url
