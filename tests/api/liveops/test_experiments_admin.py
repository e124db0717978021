"""/api/admin/experiments: admins create, list, read, re-split and stop experiments; every bad input is a 400 naming
the field, a taken key a 409; players are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.liveops.experiments_support import EXPERIMENTS, create_experiment, experiment_body
from tests.support.api import bearer, sign_up

Client = AsyncTestClient[Litestar]
NOW = datetime.now(UTC)
LARGE = {"x": "y" * 5000}  # more than 4 KB of JSON


async def test_an_admin_creates_lists_and_reads_an_experiment(client: Client, admin: dict[str, Any]) -> None:
    created = await create_experiment(client, admin, goal="spin")

    assert created["status"] == "running"
    assert [(v["name"], v["weight"], v["is_control"]) for v in created["variants"]] == [
        ("control", 50, True),
        ("bundle", 50, False),
    ]
    assert created["variants"][1]["params"] == {"featured_banner": "bundle_10", "discount_percent": 10}
    assert (created["goal"], created["phase"], created["audience"], created["stopped_at"]) == ("spin", 1, None, None)
    detail = await client.get(f"{EXPERIMENTS}/{created['id']}", headers=bearer(admin))
    assert detail.json() == created
    listed = await client.get(f"{EXPERIMENTS}?limit=100", headers=bearer(admin))
    assert created["id"] in [e["id"] for e in listed.json()["items"]]
    audit = await client.get("/api/admin/audit/logs?action=experiment.create", headers=bearer(admin))
    assert created["id"] in [entry["target_id"] for entry in audit.json()["items"]]


async def test_players_are_refused_and_strangers_are_401(client: Client) -> None:
    player = await sign_up(client)

    assert (await client.get(EXPERIMENTS, headers=bearer(player))).status_code == 403
    assert (await client.post(EXPERIMENTS, json=experiment_body(), headers=bearer(player))).status_code == 403
    assert (await client.get(EXPERIMENTS)).status_code == 401


def _variants(*weights: Any) -> list[dict[str, Any]]:
    return [{"name": f"v{index}", "weight": weight} for index, weight in enumerate(weights)]


def _params(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A control and a treatment carrying these remote-config params."""
    return [{"name": "a", "weight": 1}, {"name": "b", "weight": 1, "params": params}]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"variants": _variants(100)}, "variants"),
        ({"variants": _variants(*[1] * 11)}, "variants"),
        ({"variants": _variants(50, 0)}, "variants[1].weight"),
        ({"variants": _variants(50, -5)}, "variants[1].weight"),
        ({"variants": _variants(50, 1.5)}, "variants[1].weight"),
        ({"variants": _variants(50, "half")}, "variants[1].weight"),
        ({"variants": [{"name": "a", "weight": 1}, {"name": "a", "weight": 1}]}, "variants[1].name"),
        ({"variants": [{"name": "a", "weight": 1}, {"name": "b c", "weight": 1}]}, "variants[1].name"),
        ({"variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1, "params": "x"}]}, "variants[1].params"),
        (
            {"variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1, "params": {"x": "y" * 5000}}]},
            "variants[1].params",
        ),
        ({"variants": _params({"odds": {"jackpot": 1}})}, "variants[1].params.odds"),
        ({"variants": _params({"discount_percent": 91})}, "variants[1].params.discount_percent"),
        ({"variants": _params({"discount_percent": 0})}, "variants[1].params.discount_percent"),
        ({"variants": _params({"featured_banner": 5})}, "variants[1].params.featured_banner"),
        ({"key": "Has Spaces"}, "key"),
        ({"goal": "world_peace"}, "goal"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"ends_at": "2031-05-06T10:00:00"}, "ends_at"),  # no offset
        ({"ends_at": (NOW - timedelta(days=2)).isoformat()}, "ends_at"),
        ({"starts_at": (NOW + timedelta(days=9)).isoformat()}, "ends_at"),  # ends before it starts
        ({"ends_at": (NOW + timedelta(days=400)).isoformat()}, "ends_at"),
        ({"audience": "no_such_segment"}, "audience"),
    ],
)
async def test_bad_experiments_are_400_naming_the_field(
    client: Client, admin: dict[str, Any], changes: dict[str, Any], key: str
) -> None:
    response = await client.post(EXPERIMENTS, json=experiment_body(**changes), headers=bearer(admin))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert key in [field.get("key") for field in error["details"]["fields"]], error


async def test_a_taken_key_is_409_and_an_unknown_id_404(client: Client, admin: dict[str, Any]) -> None:
    created = await create_experiment(client, admin)

    again = await client.post(EXPERIMENTS, json=experiment_body(key=created["key"]), headers=bearer(admin))

    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "EXPERIMENT_KEY_TAKEN"
    for url in (f"{EXPERIMENTS}/nope", f"{EXPERIMENTS}/nope/results"):
        missing = await client.get(url, headers=bearer(admin))
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    stop_missing = await client.post(f"{EXPERIMENTS}/nope/stop", headers=bearer(admin))
    assert stop_missing.status_code == 404


async def test_a_new_phase_changes_weights_only_and_a_stop_is_final(client: Client, admin: dict[str, Any]) -> None:
    created = await create_experiment(client, admin)
    url = f"{EXPERIMENTS}/{created['id']}"

    renamed = await client.post(f"{url}/phases", json={"variants": _variants(1, 1)}, headers=bearer(admin))
    moved = await client.post(
        f"{url}/phases",
        json={"variants": [{"name": "control", "weight": 20}, {"name": "bundle", "weight": 80}]},
        headers=bearer(admin),
    )
    stopped = await client.post(f"{url}/stop", headers=bearer(admin))
    stopped_again = await client.post(f"{url}/stop", headers=bearer(admin))
    late = await client.post(
        f"{url}/phases",
        json={"variants": [{"name": "control", "weight": 1}, {"name": "bundle", "weight": 1}]},
        headers=bearer(admin),
    )

    assert renamed.status_code == 400, renamed.text
    assert moved.status_code == 200, moved.text
    assert (moved.json()["phase"], [v["weight"] for v in moved.json()["variants"]]) == (2, [20, 80])
    assert [p["weights"] for p in moved.json()["phases"]] == [
        {"control": 50, "bundle": 50},
        {"control": 20, "bundle": 80},
    ]
    assert (stopped.status_code, stopped.json()["status"]) == (200, "stopped")
    assert stopped_again.json()["stopped_at"] == stopped.json()["stopped_at"]
    assert (late.status_code, late.json()["error"]["code"]) == (409, "ILLEGAL_TRANSITION")
