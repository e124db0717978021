"""Operators' mission and achievement definitions over HTTP: list, create, change, disable; validated (400 naming
the field), audit-logged, and counted from the next event on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.engagement.conftest import get_ok
from tests.api.engagement.missions_support import (
    ADMIN_ACHIEVEMENTS,
    ADMIN_MISSIONS,
    MISSIONS,
    Client,
    claim,
    create_mission,
    missions_by_id,
    spins,
)
from tests.support.api import bearer, sign_up
from tests.support.clocks import ShiftedClock
from tests.support.realtime import settle


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The plays and the reads of a daily mission's progress fall on one day whenever CI runs."""
    return ShiftedClock.clear_of_midnight()


async def _new_player(client: Client) -> dict[str, Any]:
    player = await sign_up(client)
    await settle(client)
    return player


async def test_the_admin_lists_the_shipped_definitions(client: Client, admin: dict[str, Any]) -> None:
    missions = (await client.get(ADMIN_MISSIONS, headers=bearer(admin))).json()
    achievements = (await client.get(ADMIN_ACHIEVEMENTS, headers=bearer(admin))).json()

    shipped = {item["mission_id"]: item for item in missions}
    assert sum(1 for item in missions if item["period"] == "daily") >= 6
    assert sum(1 for item in missions if item["period"] == "weekly") >= 4
    assert shipped["weekly_epic_pull"] == {"mission_id": "weekly_epic_pull", "title": "Pull an Epic item",
                                           "period": "weekly", "metric": "pulls_of_rarity", "operator": "add",
                                           "rarity": "Epic", "target": 1,
                                           "reward": {"coins": 0, "gems": 15, "item_id": None}, "enabled": True,
                                           "position": 140}  # fmt: skip
    assert len(achievements) >= 15
    assert len({item["category"] for item in achievements}) >= 3


async def test_a_changed_target_counts_from_the_next_event_and_is_in_the_audit_log(
    client: Client, admin: dict[str, Any]
) -> None:
    mission = await create_mission(client, admin, target=5)
    player = await _new_player(client)
    await spins(client, player, 2)

    changed = await client.put(f"{ADMIN_MISSIONS}/{mission['mission_id']}", json={"target": 3}, headers=bearer(admin))
    assert changed.status_code == 200, changed.text
    before = (await missions_by_id(client, player))[mission["mission_id"]]
    await spins(client, player, 1)
    after = (await missions_by_id(client, player))[mission["mission_id"]]

    assert changed.json() == {**mission, "target": 3}
    assert (before["progress"], before["target"], before["completed"]) == (2, 3, False)
    assert (after["progress"], after["completed"], after["claimable"]) == (3, True, True)
    logs = await get_ok(client, "/api/admin/audit/logs?action=mission.update", admin)
    entry = next(item for item in logs["items"] if item["target_id"] == mission["mission_id"])
    assert (entry["target_type"], entry["payload"]["target"], entry["admin_id"]) == ("mission", 3, admin["user"]["id"])
    created = await get_ok(client, "/api/admin/audit/logs?action=mission.create", admin)
    assert mission["mission_id"] in [item["target_id"] for item in created["items"]]


async def test_a_disabled_mission_is_neither_listed_nor_claimable_nor_counted(
    client: Client, admin: dict[str, Any]
) -> None:
    mission = await create_mission(client, admin, target=1)
    player = await _new_player(client)

    disabled = await client.put(f"{ADMIN_MISSIONS}/{mission['mission_id']}", json={"enabled": False},
                                headers=bearer(admin))  # fmt: skip
    await spins(client, player, 1)
    listed = await missions_by_id(client, player)
    claimed = await claim(client, player, mission["mission_id"])
    reenabled = await client.put(f"{ADMIN_MISSIONS}/{mission['mission_id']}", json={"enabled": True},
                                 headers=bearer(admin))  # fmt: skip

    assert disabled.json()["enabled"] is False
    assert mission["mission_id"] not in listed
    assert claimed.status_code == 404
    assert reenabled.status_code == 200
    assert (await missions_by_id(client, player))[mission["mission_id"]]["progress"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": 0}, "target"),
        ({"target": -5}, "target"),
        ({"reward": {"coins": 2_000_000}}, "reward.coins"),
        ({"reward": {"gems": 10_001}}, "reward.gems"),
        ({"reward": {}}, "reward"),
        ({"reward": {"item_id": "golden_car"}}, "reward.item_id"),
        ({"metric": "hugs"}, "metric"),
        ({"operator": "multiply"}, "operator"),
        ({"metric": "pulls_of_rarity"}, "rarity"),
        ({"rarity": "Epic"}, "rarity"),
        ({"period": "monthly"}, "period"),
        ({"mission_id": "Has Spaces"}, "mission_id"),
        ({"title": "  "}, "title"),
    ],
)
async def test_an_invalid_mission_is_a_400_naming_the_field(
    client: Client, admin: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    body = {"mission_id": f"t_{uuid.uuid4().hex[:16]}", "title": "Bad", "period": "daily", "metric": "spins",
            "target": 1, "reward": {"coins": 1}, **changes}  # fmt: skip

    response = await client.post(ADMIN_MISSIONS, json=body, headers=bearer(admin))

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in [item["key"] for item in response.json()["error"]["details"]["fields"]]


async def test_a_taken_id_is_409_an_unknown_one_404_and_players_are_refused(
    client: Client, admin: dict[str, Any]
) -> None:
    mission = await create_mission(client, admin)
    again = {key: mission[key] for key in ("mission_id", "title", "period", "metric", "target")}
    player = await _new_player(client)

    taken = await client.post(ADMIN_MISSIONS, json={**again, "reward": {"coins": 1}}, headers=bearer(admin))
    unknown = await client.put(f"{ADMIN_MISSIONS}/no_such_mission", json={"target": 2}, headers=bearer(admin))
    as_player = await client.get(ADMIN_MISSIONS, headers=bearer(player))

    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "DEFINITION_EXISTS")
    assert unknown.status_code == 404
    assert as_player.status_code == 403
    assert (await client.get(MISSIONS)).status_code == 401


async def test_an_achievement_precondition_must_exist_and_close_no_cycle(client: Client, admin: dict[str, Any]) -> None:
    base = {"title": "Chain", "category": "tests", "metric": "spins", "target": 1, "reward": {"coins": 1}}
    first, second = f"t_{uuid.uuid4().hex[:16]}", f"t_{uuid.uuid4().hex[:16]}"
    chained = {**base, "achievement_id": second, "precondition": first}
    created = [
        await client.post(ADMIN_ACHIEVEMENTS, json={**base, "achievement_id": first}, headers=bearer(admin)),
        await client.post(ADMIN_ACHIEVEMENTS, json=chained, headers=bearer(admin)),
    ]

    orphan = {**base, "achievement_id": f"t_{uuid.uuid4().hex[:16]}", "precondition": "nobody"}
    missing = await client.post(ADMIN_ACHIEVEMENTS, json=orphan, headers=bearer(admin))
    cycle = await client.put(f"{ADMIN_ACHIEVEMENTS}/{first}", json={"precondition": second}, headers=bearer(admin))
    logs = await get_ok(client, "/api/admin/audit/logs?action=achievement.create", admin)

    assert [response.status_code for response in created] == [201, 201]
    assert (missing.status_code, cycle.status_code) == (400, 400)
    assert [item["key"] for item in cycle.json()["error"]["details"]["fields"]] == ["precondition"]
    assert {first, second} <= {item["target_id"] for item in logs["items"]}
