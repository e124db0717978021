"""GET /api/admin/analytics/kpis and /funnel: admins only, and every bad period or step is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import bearer, sign_up

Client = AsyncTestClient[Litestar]
KPIS, FUNNEL = "/api/admin/analytics/kpis", "/api/admin/analytics/funnel"


async def test_players_are_refused_403_and_strangers_401(client: Client) -> None:
    player = await sign_up(client)

    for url in (f"{KPIS}?from=2026-12-01&to=2026-12-02", f"{FUNNEL}?steps=signup,first_spin"):
        refused = await client.get(url, headers=bearer(player))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "FORBIDDEN"
        assert (await client.get(url)).status_code == 401


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("from=2026-13-01&to=2026-12-02", "from"),
        ("from=yesterday&to=2026-12-02", "from"),
        ("from=2026-12-01&to=2026-12-02T10:00:00Z", "to"),
        ("from=2026-12-03&to=2026-12-02", "to"),
        ("from=2025-01-01&to=2026-12-02", "to"),  # more than 366 days
        ("from=1999-12-31&to=2000-01-02", "from"),
        ("from=2099-12-31&to=2100-01-01", "to"),
    ],
)
async def test_bad_periods_are_400_naming_the_parameter(
    client: Client, admin: dict[str, Any], query: str, key: str
) -> None:
    response = await client.get(f"{KPIS}?{query}", headers=bearer(admin))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert key in [field.get("key") for field in error["details"]["fields"]], error


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("steps=signup", "steps"),
        ("steps=signup,signup", "steps"),
        ("steps=signup,teleport", "steps"),
        ("steps=signup,action:NotAType", "steps"),
        (
            "steps="
            + ",".join(
                [
                    "signup",
                    "spin",
                    "pull",
                    "purchase",
                    "login",
                    "streak_tick",
                    "action:share",
                    "action:share_x",
                    "action:custom:y",
                ]
            ),
            "steps",
        ),
        ("steps=signup,spin&window_hours=0", "window_hours"),
        ("steps=signup,spin&window_hours=2161", "window_hours"),
        ("steps=signup,spin&from=2026-12-05&to=2026-12-01", "to"),
    ],
)
async def test_bad_funnels_are_400_naming_the_parameter(
    client: Client, admin: dict[str, Any], query: str, key: str
) -> None:
    response = await client.get(f"{FUNNEL}?{query}", headers=bearer(admin))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert key in [field.get("key") for field in error["details"]["fields"]], error


async def test_the_routes_are_in_the_openapi_document_with_their_schemas(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    kpis = document["paths"][KPIS]["get"]
    assert {parameter["name"] for parameter in kpis["parameters"]} >= {"from", "to"}
    schema_ref = kpis["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    kpis_schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert {
        "dau",
        "wau",
        "mau",
        "revenue_cents",
        "arpu_cents",
        "arppu_cents",
        "conversion_rate",
        "retention",
        "gacha_pulls",
        "promo_uses",
        "coins",
        "series",
        "from",
        "to",
    } <= set(kpis_schema["properties"])
    funnel = document["paths"][FUNNEL]["get"]
    assert {parameter["name"] for parameter in funnel["parameters"]} >= {"steps", "window_hours"}
    for path in ("/api/actions", "/api/actions/bulk"):
        assert "202" in document["paths"][path]["post"]["responses"]
    assert "200" in document["paths"]["/api/actions/recent"]["get"]["responses"]
