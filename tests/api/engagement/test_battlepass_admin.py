"""Admin definitions of battle pass seasons and season leaderboards: validated (levels rising, rewards within
limits, no overlapping seasons, rank bands in order), audit-logged, applied from the next read; the routes are in
the OpenAPI document with their schemas. Seasons here live in 2043 (the suite's modules share one database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.engagement.passes import Client, create_season, ok, season_body
from tests.support.api import bearer, sign_up

START = datetime(2043, 1, 1, tzinfo=UTC)
BATTLEPASS, SEASONS = "/api/admin/engagement/battlepass", "/api/admin/engagement/seasons"


def _field(response: Any) -> str:
    assert response.status_code == 400, response.text
    body = response.json()["error"]
    assert body["code"] == "VALIDATION_ERROR"
    return str(body["details"]["fields"][0]["key"])


async def _audit(client: Client, admin: dict[str, Any], action: str, target: str) -> list[dict[str, Any]]:
    logs = await ok(await client.get(f"/api/admin/audit/logs?action={action}&limit=100", headers=bearer(admin)))
    return [entry for entry in logs["items"] if entry["target_id"] == target]


async def test_a_season_is_created_listed_replaced_and_disabled_with_each_change_audited(
    client: Client, admin: dict[str, Any]
) -> None:
    body = season_body(START, START + timedelta(days=30))
    created = await create_season(client, admin, body)
    season_id = created["season_id"]
    changed = {**body, "name": "Renamed", "premium_price_gems": 75, "enabled": False}
    replaced = await ok(await client.put(f"{BATTLEPASS}/{season_id}", json=changed, headers=bearer(admin)))
    listed = await ok(await client.get(BATTLEPASS, headers=bearer(admin)))

    assert (created["name"], len(created["levels"]), created["settled_at"]) == ("Test season", 30, None)
    assert (replaced["name"], replaced["premium_price_gems"], replaced["enabled"]) == ("Renamed", 75, False)
    assert [s["name"] for s in listed["items"] if s["season_id"] == season_id] == ["Renamed"]
    assert any(s["season_id"] == "season_1" and len(s["levels"]) == 30 for s in listed["items"])  # shipped
    [create] = await _audit(client, admin, "battlepass.create", season_id)
    [update] = await _audit(client, admin, "battlepass.update", season_id)
    assert (create["payload"]["name"], update["payload"]["enabled"]) == ("Test season", False)


async def test_bad_seasons_are_refused_naming_the_field(client: Client, admin: dict[str, Any]) -> None:
    start = START + timedelta(days=100)
    good = season_body(start, start + timedelta(days=30))
    falling = [dict(level) for level in good["levels"]]
    falling[5]["xp"] = falling[4]["xp"]
    rich = [dict(level) for level in good["levels"]]
    rich[0]["free"] = {"coins": 2_000_000}
    gap = [dict(level) for level in good["levels"]][1:]
    await create_season(client, admin, good)

    refused = {
        "levels[5].xp": {**good, "season_id": "other_a", "levels": falling},
        "levels[0].free.coins": {**good, "season_id": "other_b", "levels": rich},
        "levels[0].level": {**good, "season_id": "other_c", "levels": gap},
        "ends_at": {**good, "season_id": "other_d", "ends_at": good["starts_at"]},
        "starts_at": {**good, "season_id": "other_e"},  # overlaps the enabled season above
        "season_id": good,  # taken
    }
    for key, body in refused.items():
        assert _field(await client.post(BATTLEPASS, json=body, headers=bearer(admin))) == key
    assert (await client.put(f"{BATTLEPASS}/nope", json=good, headers=bearer(admin))).status_code == 404
    player = await sign_up(client)
    assert (await client.post(BATTLEPASS, json=good, headers=bearer(player))).status_code == 403


async def test_season_leaderboards_are_defined_validated_and_audited(client: Client, admin: dict[str, Any]) -> None:
    bands = [{"rank_from": 1, "rank_to": 1, "coins": 500}, {"rank_from": 2, "rank_to": 5, "gems": 3}]
    body = {"season_id": "daily_wins_test", "name": "Daily wins", "board": "wins", "cadence": "daily", "rewards": bands}
    created = await ok(await client.post(SEASONS, json=body, headers=bearer(admin)), 201)
    disabled = await ok(
        await client.put(f"{SEASONS}/daily_wins_test", json={**body, "enabled": False}, headers=bearer(admin))
    )
    listed = await ok(await client.get(SEASONS, headers=bearer(admin)))

    assert created["rewards"] == [
        {"rank_from": 1, "rank_to": 1, "coins": 500, "gems": 0},
        {"rank_from": 2, "rank_to": 5, "coins": 0, "gems": 3},
    ]
    assert disabled["enabled"] is False
    assert {"weekly_net_coins", "daily_wins_test"} <= {item["season_id"] for item in listed["items"]}
    assert len(await _audit(client, admin, "season.create", "daily_wins_test")) == 1
    overlapping = [{"rank_from": 1, "rank_to": 3, "coins": 1}, {"rank_from": 3, "rank_to": 4, "coins": 1}]
    for key, bad in {
        "rewards[1].rank_from": {**body, "season_id": "x1", "rewards": overlapping},
        "rewards[0]": {**body, "season_id": "x2", "rewards": [{"rank_from": 1, "rank_to": 1}]},
        "board": {**body, "season_id": "x3", "board": "luck"},
        "rewards[0].coins": {**body, "season_id": "x4", "rewards": [{"rank_from": 1, "rank_to": 1, "coins": 10**8}]},
    }.items():
        assert _field(await client.post(SEASONS, json=bad, headers=bearer(admin))) == key


async def test_the_routes_are_in_the_openapi_document_with_their_schemas(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]

    assert {"get"} <= set(paths["/api/battlepass/status"])
    assert {"post"} <= set(paths["/api/battlepass/claim"]) & set(paths["/api/battlepass/premium"])
    assert {"get", "post"} <= set(paths["/api/admin/engagement/battlepass"])
    assert {"get", "put"} <= set(paths["/api/admin/engagement/battlepass/{season_id}"])
    assert {"get", "post"} <= set(paths["/api/admin/engagement/seasons"])
    assert {"get", "put"} <= set(paths["/api/admin/engagement/seasons/{season_id}"])
    assert "get" in paths["/api/games/leaderboard/seasons/{season_id}"]
    schemas = document["components"]["schemas"]
    status = schemas["BattlePassStatusOut"]["properties"]
    assert {"season_id", "ends_at", "level", "xp", "xp_to_next", "premium", "claimable_levels"} <= set(status)
    assert {"season_id", "resets_at", "around_me"} <= set(schemas["LeaderboardOut"]["properties"])
    assert {"level", "track"} <= set(schemas["ClaimIn"]["properties"])
