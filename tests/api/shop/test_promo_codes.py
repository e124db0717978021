"""POST and GET /api/admin/promo-codes: create (audit-logged), list with use counts, refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import bearer, sign_up


def _code() -> str:
    return f"promo_{uuid.uuid4().hex[:10]}"


async def _create(client: Any, admin: dict[str, Any], **fields: Any) -> Any:
    body = {"code": _code(), "discount_percent": 10, "max_uses": 3, **fields}
    return await client.post("/api/admin/promo-codes", json=body, headers=bearer(admin))


async def test_an_admin_creates_a_code_stored_upper_case_and_audited(client: Any, admin: dict[str, Any]) -> None:
    code = _code()
    ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()

    response = await _create(client, admin, code=code, ends_at=ends)

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["code"], created["discount_percent"], created["max_uses"]) == (code.upper(), 10, 3)
    assert (created["used_count"], created["uses_left"], created["enabled"]) == (0, 3, True)
    assert created["starts_at"] is None
    audit = (await client.get("/api/admin/audit/logs?action=promo_code.create", headers=bearer(admin))).json()
    assert [item["target_id"] for item in audit["items"] if item["target_id"] == code.upper()] == [code.upper()]


async def _list(client: Any, admin: dict[str, Any], query: str) -> dict[str, Any]:
    response = await client.get(f"/api/admin/promo-codes?{query}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_the_list_is_newest_first_and_pages(client: Any, admin: dict[str, Any]) -> None:
    first = (await _create(client, admin, max_uses=None)).json()["code"]
    second = (await _create(client, admin)).json()["code"]

    listed = [promo["code"] for promo in (await _list(client, admin, "limit=100"))["items"]]
    page = await _list(client, admin, "limit=1")
    rest = await _list(client, admin, f"limit=1&cursor={page['next_cursor']}")

    assert listed.index(second) < listed.index(first)  # other tests' codes may be listed too
    assert [page["items"][0]["code"], rest["items"][0]["code"]] == listed[:2]
    unlimited = next(promo for promo in (await _list(client, admin, "limit=100"))["items"] if promo["code"] == first)
    assert (unlimited["max_uses"], unlimited["uses_left"]) == (None, None)


async def test_a_taken_code_is_a_conflict_whatever_its_case(client: Any, admin: dict[str, Any]) -> None:
    code = _code()
    await _create(client, admin, code=code.upper())

    response = await _create(client, admin, code=code.lower())

    assert (response.status_code, response.json()["error"]["code"]) == (409, "PROMO_CODE_TAKEN")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"code": "a b"}, "code"),
        ({"discount_percent": 0}, "discount_percent"),
        ({"discount_percent": 95}, "discount_percent"),
        ({"max_uses": 0}, "max_uses"),
        ({"starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}, "ends_at"),
    ],
)
async def test_invalid_codes_name_the_field(
    client: Any, admin: dict[str, Any], fields: dict[str, Any], key: str
) -> None:
    response = await _create(client, admin, **fields)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [field["key"] for field in response.json()["error"]["details"]["fields"]] == [key]


@pytest.mark.parametrize(
    "fields",
    [{"discount_percent": "ten"}, {"max_uses": -1}, {"ends_at": "2027-01-01T00:00:00"}, {"code": "x" * 65}],
)
async def test_malformed_bodies_are_validation_errors(
    client: Any, admin: dict[str, Any], fields: dict[str, Any]
) -> None:
    response = await _create(client, admin, **fields)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_a_bad_cursor_is_a_validation_error(client: Any, admin: dict[str, Any]) -> None:
    response = await client.get("/api/admin/promo-codes?cursor=not-a-cursor", headers=bearer(admin))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_promo_admin_routes_are_for_admins(client: Any) -> None:
    player = await sign_up(client)

    create = await client.post("/api/admin/promo-codes", json={"code": _code()}, headers=bearer(player))
    listing = await client.get("/api/admin/promo-codes", headers=bearer(player))

    assert (create.status_code, listing.status_code) == (403, 403)
