"""GET /api/shop/limited/catalog and the admin limited-package routes (upsert, kill switch, list)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import bearer, sign_up

PLAYER_FIELDS = {
    "package_id", "name", "price_cents", "gems", "starts_at", "ends_at", "stock_remaining", "per_user_limit",
    "user_purchased", "enabled",
}  # fmt: skip


def _package_id() -> str:
    return f"lp_{uuid.uuid4().hex[:12]}"


def _body(**fields: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "package_id": _package_id(),
        "name": "Test Bundle",
        "price_cents": 999,
        "gems": 1500,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "max_global_stock": 5,
        "per_user_limit": 2,
        **fields,
    }


async def _upsert(client: Any, admin: dict[str, Any], **fields: Any) -> Any:
    return await client.post("/api/admin/limited-packages/upsert", json=_body(**fields), headers=bearer(admin))


async def _catalog(client: Any, tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/shop/limited/catalog", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return {package["package_id"]: package for package in response.json()}


async def _admin_list(client: Any, admin: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/admin/limited-packages", headers=bearer(admin))
    assert response.status_code == 200, response.text
    return {package["package_id"]: package for package in response.json()}


async def test_the_seeded_launch_bundle_is_on_sale(client: Any) -> None:
    player = await sign_up(client)

    bundle = (await _catalog(client, player))["launch_bundle"]

    assert set(bundle) >= PLAYER_FIELDS
    assert (bundle["enabled"], bundle["on_sale"], bundle["user_purchased"]) == (True, True, 0)
    assert bundle["ends_at"].startswith("2027-06-30")
    assert bundle["stock_remaining"] > 0


async def test_the_limited_catalog_needs_a_token(client: Any) -> None:
    response = await client.get("/api/shop/limited/catalog")

    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")


async def test_an_admin_upserts_a_package_players_see_it_and_it_is_audited(client: Any, admin: dict[str, Any]) -> None:
    response = await _upsert(client, admin)

    assert response.status_code == 200, response.text
    created = response.json()
    assert (created["sold"], created["held"], created["stock_remaining"], created["enabled"]) == (0, 0, 5, True)
    player = await sign_up(client)
    seen = (await _catalog(client, player))[created["package_id"]]
    assert (seen["stock_remaining"], seen["per_user_limit"], seen["user_purchased"]) == (5, 2, 0)
    audit = (await client.get("/api/admin/audit/logs?action=limited_package.upsert", headers=bearer(admin))).json()
    [entry] = [item for item in audit["items"] if item["target_id"] == created["package_id"]]
    assert entry["payload"]["created"] is True


async def test_a_second_upsert_changes_the_package(client: Any, admin: dict[str, Any]) -> None:
    package_id = (await _upsert(client, admin)).json()["package_id"]

    response = await _upsert(client, admin, package_id=package_id, name="Renamed Bundle", max_global_stock=9)

    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["stock_remaining"]) == ("Renamed Bundle", 9)
    assert (await _admin_list(client, admin))[package_id]["max_global_stock"] == 9


async def test_the_kill_switch_hides_the_package_and_an_upsert_keeps_it_off(client: Any, admin: dict[str, Any]) -> None:
    package_id = (await _upsert(client, admin)).json()["package_id"]
    player = await sign_up(client)

    disabled = await client.post(f"/api/admin/limited-packages/{package_id}/disable", headers=bearer(admin))
    await _upsert(client, admin, package_id=package_id, name="Still Off")

    assert (disabled.status_code, disabled.json()["enabled"]) == (200, False)
    assert package_id not in await _catalog(client, player)
    assert (await _admin_list(client, admin))[package_id]["enabled"] is False
    enabled = await client.post(f"/api/admin/limited-packages/{package_id}/enable", headers=bearer(admin))
    assert (enabled.status_code, enabled.json()["enabled"]) == (200, True)
    assert (await _catalog(client, player))[package_id]["name"] == "Still Off"


async def test_a_disabled_package_refuses_buyers(client: Any, admin: dict[str, Any]) -> None:
    package_id = (await _upsert(client, admin)).json()["package_id"]
    await client.post(f"/api/admin/limited-packages/{package_id}/disable", headers=bearer(admin))
    player = await sign_up(client)

    response = await client.post(
        "/api/shop/limited/buy",
        json={"package_id": package_id, "quantity": 1, "card_token": "tok_visa"},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )

    assert (response.status_code, response.json()["error"]["code"]) == (403, "DISABLED")


async def test_a_purchase_shows_in_stock_and_the_buyers_count(client: Any, admin: dict[str, Any]) -> None:
    package_id = (await _upsert(client, admin)).json()["package_id"]
    buyer, other = await sign_up(client), await sign_up(client)

    bought = await client.post(
        "/api/shop/limited/buy",
        json={"package_id": package_id, "quantity": 2, "card_token": "tok_visa"},
        headers={**bearer(buyer), "idempotency-key": uuid.uuid4().hex},
    )

    assert bought.status_code == 200, bought.text
    mine, theirs = (await _catalog(client, buyer))[package_id], (await _catalog(client, other))[package_id]
    assert (mine["stock_remaining"], mine["user_purchased"]) == (3, 2)
    assert (theirs["stock_remaining"], theirs["user_purchased"]) == (3, 0)
    assert (await _admin_list(client, admin))[package_id]["sold"] == 2


async def test_switching_an_unknown_package_is_not_found(client: Any, admin: dict[str, Any]) -> None:
    response = await client.post("/api/admin/limited-packages/lp_no_such_one/disable", headers=bearer(admin))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"package_id": "Bad Id!"}, "package_id"),
        ({"price_cents": 0}, "price_cents"),
        ({"gems": 0}, "gems"),
        ({"max_global_stock": 0}, "max_global_stock"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"currency": "usd"}, "currency"),
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ],
)
async def test_invalid_packages_name_the_field(
    client: Any, admin: dict[str, Any], fields: dict[str, Any], key: str
) -> None:
    response = await _upsert(client, admin, **fields)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [field["key"] for field in response.json()["error"]["details"]["fields"]] == [key]


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": "2026-12-01T00:00:00"},  # no timezone
        {"starts_at": "yesterday"},
        {"price_cents": -5},
        {"gems": "many"},
        {"max_global_stock": 10**30},
    ],
)
async def test_malformed_bodies_are_validation_errors(
    client: Any, admin: dict[str, Any], fields: dict[str, Any]
) -> None:
    response = await _upsert(client, admin, **fields)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_a_missing_field_is_a_validation_error(client: Any, admin: dict[str, Any]) -> None:
    body = _body()
    del body["max_global_stock"]

    response = await client.post("/api/admin/limited-packages/upsert", json=body, headers=bearer(admin))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_limited_admin_routes_are_for_admins(client: Any) -> None:
    player = await sign_up(client)

    responses = [
        await client.post("/api/admin/limited-packages/upsert", json=_body(), headers=bearer(player)),
        await client.post("/api/admin/limited-packages/launch_bundle/disable", headers=bearer(player)),
        await client.get("/api/admin/limited-packages", headers=bearer(player)),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
