"""Remote config over HTTP: running-experiment variant > segment override > default, an unassigned player gets the
defaults, a stopped experiment stops applying at once, and published odds are the same in every variant."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.liveops.experiments_support import EXPERIMENTS, create_experiment
from tests.api.liveops.test_experiment_audience import _recompute, _set_tier
from tests.support.api import bearer, sign_up

Client = AsyncTestClient[Litestar]
CONFIG = "/api/abtest/config"
DEFAULTS = {"featured_banner": None, "discount_percent": None}
VARIANTS = [
    {"name": "control", "weight": 1, "params": {"featured_banner": "gacha_a"}},
    {"name": "treat", "weight": 1, "params": {"featured_banner": "gacha_b"}},
]


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "job_queue": "in-process"}  # the recompute runs in the app


async def _config(client: Client, player: dict[str, Any]) -> Any:
    response = await client.get(CONFIG, headers=bearer(player))
    assert response.status_code == 200, response.text
    return response.json()


async def _segment_of(client: Client, admin: dict[str, Any], pg_url: str, player: dict[str, Any]) -> str:
    """A custom segment whose only member is `player` (a VIP tier of its own)."""
    tier = random.randint(10_000, 10**9)
    await _set_tier(pg_url, player["user"]["id"], tier)
    await _recompute(client, admin)
    name = f"rc_{tier}"
    created = await client.post(
        "/api/admin/segments", json={"name": name, "rule": f"vip_tier = {tier}"}, headers=bearer(admin)
    )
    assert created.status_code == 201, created.text
    return name


async def test_experiment_beats_segment_override_beats_default_and_a_stop_ends_it(
    client: Client, admin: dict[str, Any], pg_url: str
) -> None:
    member, outsider = await sign_up(client), await sign_up(client)
    segment = await _segment_of(client, admin, pg_url, member)
    override = {"featured_banner": "bundle_whale", "discount_percent": 20}
    stored = await client.put(f"/api/admin/segments/{segment}/params", json={"params": override}, headers=bearer(admin))
    assert stored.status_code == 200, stored.text

    segment_only = await _config(client, member)
    assert segment_only["params"] == override
    assert segment_only["sources"]["featured_banner"] == {"source": "segment", "origin": segment}

    experiment = await create_experiment(client, admin, variants=VARIANTS, audience=segment)
    received = (await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(member))).json()
    with_experiment = await _config(client, member)
    expected_banner = {"control": "gacha_a", "treat": "gacha_b"}[received["variant"]]
    assert with_experiment["params"] == {"featured_banner": expected_banner, "discount_percent": 20}
    assert with_experiment["sources"]["featured_banner"] == {"source": "experiment", "origin": experiment["key"]}
    assert with_experiment["sources"]["discount_percent"]["source"] == "segment"  # the variant does not set it

    unassigned = await _config(client, outsider)
    assert unassigned["params"] == DEFAULTS
    assert {s["source"] for s in unassigned["sources"].values()} == {"default"}

    stopped = await client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", headers=bearer(admin))
    assert stopped.status_code in (200, 201), stopped.text
    assert (await _config(client, member))["params"] == override

    cleared = await client.put(f"/api/admin/segments/{segment}/params", json={"params": None}, headers=bearer(admin))
    assert cleared.status_code == 200, cleared.text
    assert (await _config(client, member))["params"] == DEFAULTS


async def test_the_segment_list_shows_each_segments_override_until_it_is_cleared(
    client: Client, admin: dict[str, Any]
) -> None:
    override = {"featured_banner": "gems_550"}
    await client.put("/api/admin/segments/Whale/params", json={"params": override}, headers=bearer(admin))

    async def listed_params() -> dict[str, Any]:
        listed = await client.get("/api/admin/segments", headers=bearer(admin))
        return {s["name"]: s["params"] for s in listed.json()["items"]}

    assert (await listed_params())["Whale"] == override
    assert (await listed_params())["High"] is None
    await client.put("/api/admin/segments/Whale/params", json={"params": None}, headers=bearer(admin))
    assert (await listed_params())["Whale"] is None


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"odds": 1}, "params.odds"),
        ({"discount_percent": 0}, "params.discount_percent"),
        ({"discount_percent": 91}, "params.discount_percent"),
        ({"featured_banner": ["x"]}, "params.featured_banner"),
    ],
)
async def test_bad_segment_params_are_400_and_an_unknown_segment_404(
    client: Client, admin: dict[str, Any], params: dict[str, Any], key: str
) -> None:
    bad = await client.put("/api/admin/segments/Whale/params", json={"params": params}, headers=bearer(admin))
    assert bad.status_code == 400, bad.text
    assert key in [f["key"] for f in bad.json()["error"]["details"]["fields"]]
    missing = await client.put("/api/admin/segments/no_such/params", json={"params": {}}, headers=bearer(admin))
    assert missing.status_code == 404, missing.text


async def test_published_odds_are_identical_across_variants(client: Client, admin: dict[str, Any]) -> None:
    experiment = await create_experiment(client, admin, variants=VARIANTS)
    by_variant: dict[str, dict[str, Any]] = {}
    for _ in range(40):  # 50/50: two variants are covered long before this
        player = await sign_up(client)
        variant = (
            await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(player))
        ).json()
        by_variant.setdefault(variant["variant"], player)
        if len(by_variant) == 2:
            break
    assert set(by_variant) == {"control", "treat"}
    control, treat = by_variant["control"], by_variant["treat"]
    assert (await _config(client, control))["params"]["featured_banner"] != (await _config(client, treat))["params"][
        "featured_banner"
    ]
    for url in ("/api/games/slot/config", "/api/games/gacha/config"):
        seen = [(await client.get(url, headers=bearer(p))) for p in (control, treat)]
        assert [r.status_code for r in seen] == [200, 200], [r.text for r in seen]
        assert seen[0].json() == seen[1].json()


async def test_recommendations_lead_with_the_variants_featured_item_only_when_buyable(
    client: Client, admin: dict[str, Any]
) -> None:
    variants = [
        {"name": "control", "weight": 1, "params": {"featured_banner": "gems_1200"}},
        {"name": "treat", "weight": 1, "params": {"featured_banner": "gems_8000_vip"}},  # above a new player's rank
    ]
    experiment = await create_experiment(client, admin, variants=variants)
    by_variant: dict[str, dict[str, Any]] = {}
    for _ in range(40):
        player = await sign_up(client)
        url = f"/api/abtest/variant?experiment={experiment['key']}"
        by_variant.setdefault((await client.get(url, headers=bearer(player))).json()["variant"], player)
        if len(by_variant) == 2:
            break
    lists = {}
    for name, player in by_variant.items():
        response = await client.get("/api/recommend/personalized", headers=bearer(player))
        assert response.status_code == 200, response.text
        lists[name] = response.json()["items"]

    assert (lists["control"][0]["id"], lists["control"][0]["reason"]) == ("gems_1200", "featured for you")
    assert "gems_8000_vip" not in [item["id"] for item in lists["treat"]]
    await client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", headers=bearer(admin))
    after = (await client.get("/api/recommend/personalized", headers=bearer(by_variant["control"]))).json()["items"]
    assert "featured for you" not in [item["reason"] for item in after]


async def _catalog(client: Client, player: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/shop/catalog", headers=bearer(player))
    assert response.status_code == 200, response.text
    return {item["sku"]: item for item in response.json()}


async def test_a_variants_discount_on_its_featured_item_is_shown_and_charged_the_same(
    client: Client, admin: dict[str, Any]
) -> None:
    params = {"featured_banner": "gems_550", "discount_percent": 20}
    variants = [{"name": "control", "weight": 1, "params": params}, {"name": "same", "weight": 1, "params": params}]
    experiment = await create_experiment(client, admin, variants=variants)
    player, later, outsider = await sign_up(client), await sign_up(client), await sign_up(client)
    for someone in (player, later):
        received = await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(someone))
        assert received.json()["params"] == params

    shown, plain = await _catalog(client, player), await _catalog(client, outsider)
    item = shown["gems_550"]
    expected = (plain["gems_550"]["final_price_cents"] * 80 + 50) // 100
    assert (item["final_price_cents"], item["remote_discount_percent"]) == (expected, 20)
    assert shown["gems_100"] == plain["gems_100"]  # only the featured item is discounted
    body = {"sku": "gems_550", "card_token": "tok_visa", "quantity": 2}
    key = {"idempotency-key": uuid.uuid4().hex}
    bought = await client.post("/api/shop/buy", json=body, headers={**bearer(player), **key})
    assert bought.status_code == 200, bought.text
    assert (bought.json()["status"], bought.json()["amount_cents"]) == ("captured", 2 * item["final_price_cents"])

    # a first purchase can raise the buyer's VIP tier, so the stop is checked on an assigned player who bought nothing
    await client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", headers=bearer(admin))
    assert (await _catalog(client, later))["gems_550"] == plain["gems_550"]
    again = await client.post(
        "/api/shop/buy", json=body, headers={**bearer(later), "idempotency-key": uuid.uuid4().hex}
    )
    assert again.json()["amount_cents"] == 2 * plain["gems_550"]["final_price_cents"]
