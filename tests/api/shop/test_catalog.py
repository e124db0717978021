"""GET /api/shop/catalog and the admin catalog routes: prices are computed by the server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import bearer, sign_up

SEEDED = {"gems_100", "gems_550", "gems_1200", "gems_3000_premium", "gems_8000_vip"}


def _sku() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


async def _create(client: Any, admin: dict[str, Any], **fields: Any) -> Any:
    body = {"sku": _sku(), "name": "Test Pack", "price_cents": 1000, "gems": 500, **fields}
    return await client.post("/api/admin/catalog/items", json=body, headers=bearer(admin))


async def _catalog(client: Any, tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/shop/catalog", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return {item["sku"]: item for item in response.json()}


async def test_the_seeded_catalog_has_rank_gated_packs_and_a_running_discount(client: Any) -> None:
    player = await sign_up(client)

    sut = await _catalog(client, player)

    assert set(sut) >= SEEDED
    assert sut["gems_3000_premium"]["min_rank"] == "PREMIUM"
    assert sut["gems_8000_vip"]["min_rank"] == "VIP"
    discounted = sut["gems_1200"]
    assert (discounted["price_cents"], discounted["discount_percent"]) == (999, 20)
    assert discounted["discount_active"] is True
    assert discounted["final_price_cents"] == 799  # 999 x 0.8 = 799.2, rounded half up to the cent
    assert sut["gems_100"]["final_price_cents"] == sut["gems_100"]["price_cents"] == 99


async def test_the_catalog_needs_a_token(client: Any) -> None:
    response = await client.get("/api/shop/catalog")

    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")


async def test_an_admin_adds_an_item_priced_by_the_server(client: Any, admin: dict[str, Any]) -> None:
    ends = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    response = await _create(client, admin, price_cents=1999, discount_percent=15, discount_ends_at=ends)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["final_price_cents"] == 1699  # 1999 x 0.85 = 1699.15
    player = await sign_up(client)
    assert (await _catalog(client, player))[created["sku"]]["final_price_cents"] == 1699


async def test_an_expired_discount_no_longer_applies(client: Any, admin: dict[str, Any]) -> None:
    sku = (await _create(client, admin, price_cents=1000, discount_percent=50)).json()["sku"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    response = await client.put(
        f"/api/admin/catalog/items/{sku}", json={"discount_ends_at": past}, headers=bearer(admin)
    )

    assert response.status_code == 200, response.text
    assert (response.json()["discount_active"], response.json()["final_price_cents"]) == (False, 1000)


async def test_a_partial_update_changes_only_the_given_fields_and_is_audited(
    client: Any, admin: dict[str, Any]
) -> None:
    sku = (await _create(client, admin, gems=500, price_cents=1000)).json()["sku"]

    response = await client.put(f"/api/admin/catalog/items/{sku}", json={"gems": 650}, headers=bearer(admin))
    audit = (await client.get("/api/admin/audit/logs?action=catalog.update", headers=bearer(admin))).json()

    assert response.status_code == 200
    assert (response.json()["gems"], response.json()["price_cents"]) == (650, 1000)
    [entry] = [item for item in audit["items"] if item["target_id"] == sku]
    assert entry["payload"]["gems"] == 650


async def test_a_disabled_item_leaves_the_players_catalog_but_not_the_admins(
    client: Any, admin: dict[str, Any]
) -> None:
    sku = (await _create(client, admin)).json()["sku"]
    player = await sign_up(client)

    await client.put(f"/api/admin/catalog/items/{sku}", json={"enabled": False}, headers=bearer(admin))
    admin_list = (await client.get("/api/admin/catalog/items", headers=bearer(admin))).json()

    assert sku not in await _catalog(client, player)
    assert [item["enabled"] for item in admin_list if item["sku"] == sku] == [False]


async def test_a_taken_sku_is_a_conflict(client: Any, admin: dict[str, Any]) -> None:
    sku = _sku()
    await _create(client, admin, sku=sku)

    response = await _create(client, admin, sku=sku)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "SKU_TAKEN")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"sku": "Bad SKU!"}, "sku"),
        ({"price_cents": 0}, "price_cents"),
        ({"gems": -1}, "gems"),
        ({"currency": "usd"}, "currency"),
        ({"discount_percent": 96}, "discount_percent"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_items_name_the_field(
    client: Any, admin: dict[str, Any], fields: dict[str, Any], key: str
) -> None:
    response = await _create(client, admin, **fields)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [field["key"] for field in response.json()["error"]["details"]["fields"]] == [key]


async def test_catalog_admin_routes_are_for_admins(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)

    create = await client.post("/api/admin/catalog/items", json={}, headers=bearer(player))
    update = await client.put("/api/admin/catalog/items/gems_100", json={"gems": 1}, headers=bearer(player))
    unknown = await client.put("/api/admin/catalog/items/no_such_sku", json={"gems": 1}, headers=bearer(admin))

    assert (create.status_code, update.status_code) == (403, 403)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
