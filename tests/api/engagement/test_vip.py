"""VIP routes and automatic upgrades: the tier table, a new player's standing, a captured purchase raising the tier
(stored, and told to the player's socket as profile_update), an admin's higher tier never lowered, 401."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient, WebSocketTestSession

from tests.api.engagement.conftest import get_ok
from tests.support.api import bearer, sign_up
from tests.support.realtime import WS, events, settle

TIERS, STATUS = "/api/vip/tiers", "/api/vip/status"
BRONZE_SPEND_CENTS = 499


async def _catalog_item(client: AsyncTestClient[Litestar], admin: dict[str, Any], price_cents: int) -> str:
    sku = f"test_vip_{uuid.uuid4().hex[:12]}"
    body = {"sku": sku, "name": "VIP Test Pack", "price_cents": price_cents, "gems": 100}
    response = await client.post("/api/admin/catalog/items", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return sku


async def _buy(client: AsyncTestClient[Litestar], player: dict[str, Any], sku: str) -> None:
    response = await client.post(
        "/api/shop/buy",
        json={"sku": sku, "quantity": 1, "card_token": "tok_visa"},
        headers=bearer(player) | {"idempotency-key": uuid.uuid4().hex},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "captured"


async def _vip_tier(client: AsyncTestClient[Litestar], player: dict[str, Any]) -> int:
    tier: int = (await get_ok(client, "/api/auth/me", player))["vip_tier"]
    return tier


async def _tier_update(session: WebSocketTestSession, within_events: int = 8) -> dict[str, Any]:
    """The first profile_update that carries a VIP tier, among the next few events."""
    for _ in range(within_events):
        [frame] = await events(session, 1)
        if frame["type"] == "profile_update" and "vip_tier" in frame["data"]:
            return frame
    raise AssertionError("no profile_update with vip_tier")


async def test_the_tier_table_lists_every_tier_with_both_thresholds_and_benefits(
    client: AsyncTestClient[Litestar],
) -> None:
    player = await sign_up(client)

    sut = await get_ok(client, TIERS, player)

    assert list(sut) == ["items"]
    assert [(t["tier"], t["name"], t["min_spent_cents"], t["min_activity_points"]) for t in sut["items"]] == [
        (0, "Member", 0, 0),
        (1, "Bronze", 499, 200),
        (2, "Silver", 1_999, 1_000),
        (3, "Gold", 4_999, 5_000),
        (4, "Platinum", 19_999, 20_000),
        (5, "Diamond", 49_999, 50_000),
    ]
    assert sut["items"][1]["benefits"] == {
        "daily_bonus_coins": 100,
        "shop_discount_percent": 2,
        "streak_reward_multiplier_percent": 110,
    }


async def test_a_new_player_is_a_member_with_bronze_next_and_no_progress(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)

    sut = await get_ok(client, STATUS, player)

    assert sut == {
        "tier": 0,
        "name": "Member",
        "benefits": {"daily_bonus_coins": 0, "shop_discount_percent": 0, "streak_reward_multiplier_percent": 100},
        "spent_cents": 0,
        "activity_points": 0,
        "next_tier": {"tier": 1, "name": "Bronze", "min_spent_cents": 499, "min_activity_points": 200},
        "progress_percent": 0,
        "daily_bonus": {"coins": 0, "claimed_today": False, "available_at": None},
    }


async def test_a_small_purchase_shows_progress_but_keeps_the_tier(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=250)
    player = await sign_up(client)

    await _buy(client, player, sku)
    await settle(client)
    sut = await get_ok(client, STATUS, player)

    assert (sut["tier"], sut["spent_cents"], sut["progress_percent"]) == (0, 250, 50)  # 250 / 499, floored
    assert await _vip_tier(client, player) == 0


async def test_a_captured_purchase_of_the_bronze_spend_raises_the_tier_and_tells_the_socket(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=BRONZE_SPEND_CENTS + 501)  # $10.00: Bronze, not Silver
    player = await sign_up(client)
    await settle(client)

    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await _buy(client, player, sku)
        await settle(client)
        update = await _tier_update(session)

    assert update["data"] == {"rank": "STANDARD", "vip_tier": 1, "status": "active"}
    assert await _vip_tier(client, player) == 1
    sut = await get_ok(client, STATUS, player)
    assert (sut["tier"], sut["name"], sut["spent_cents"]) == (1, "Bronze", 1_000)
    assert sut["next_tier"]["name"] == "Silver"
    assert sut["progress_percent"] == (1_000 - 499) * 100 // (1_999 - 499)


async def test_an_admin_raised_tier_is_never_lowered_by_a_later_purchase(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    sku = await _catalog_item(client, admin, price_cents=1_000)  # earns Bronze (1)
    player = await sign_up(client)
    patched = await client.patch(
        f"/api/admin/users/{player['user']['id']}", json={"vip_tier": 4}, headers=bearer(admin)
    )
    assert patched.status_code == 200, patched.text

    await _buy(client, player, sku)
    await _buy(client, player, sku)
    await settle(client)

    assert await _vip_tier(client, player) == 4
    sut = await get_ok(client, STATUS, player)
    assert (sut["tier"], sut["name"], sut["spent_cents"]) == (4, "Platinum", 1_800)  # 2 x $10 at Platinum's 10 % off
    assert sut["next_tier"]["name"] == "Diamond"
    assert sut["progress_percent"] == 0  # below Platinum's own thresholds: no progress past it yet


async def test_vip_routes_need_a_token(client: AsyncTestClient[Litestar]) -> None:
    for url in (TIERS, STATUS):
        response = await client.get(url)

        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
