"""Missions over HTTP on PostgreSQL + Redis: progress moves with plays, a completed mission pays once through the
ledger (16 concurrent claims: one reward), refusals have the contract's codes, Idempotency-Key replays."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.api.engagement.conftest import get_ok
from tests.api.engagement.missions_support import (
    MISSIONS,
    Client,
    claim,
    create_mission,
    grant_gems,
    missions_by_id,
    pull,
    spins,
)
from tests.support.api import sign_up
from tests.support.clocks import ShiftedClock
from tests.support.realtime import settle
from tests.support.wallet import assert_ledger_explains


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The plays and the reads of daily and weekly progress fall on one day (and week) whenever CI runs."""
    return ShiftedClock.clear_of_midnight()


async def test_the_shipped_missions_are_listed_with_progress_and_resets_at(client: Client) -> None:
    player = await sign_up(client)

    sut = await get_ok(client, MISSIONS, player)

    periods = [item["period"] for item in sut["items"]]
    assert periods.count("daily") >= 6
    assert periods.count("weekly") >= 4
    first = next(item for item in sut["items"] if item["mission_id"] == "daily_spins_20")
    assert first == {"mission_id": "daily_spins_20", "title": "Spin the slot 20 times", "period": "daily",
                     "progress": 0, "target": 20, "reward": {"coins": 200}, "completed": False, "claimed": False,
                     "claimable": False, "resets_at": sut["daily_resets_at"]}  # fmt: skip
    assert all(item["resets_at"] for item in sut["items"] if item["period"] != "once")
    assert sut["weekly_resets_at"] >= sut["daily_resets_at"]


async def test_spins_and_pulls_move_mission_progress_on_the_next_read(client: Client, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    await settle(client)
    await grant_gems(client, admin, player, 500)

    played = await spins(client, player, 3, bet=20)
    await pull(client, player, count=1)

    sut = await missions_by_id(client, player)
    assert sut["daily_spins_20"]["progress"] == 3
    assert sut["daily_wager_2000"]["progress"] == 60
    assert sut["daily_wins_5"]["progress"] == sum(1 for spin in played if spin["payout"] > 0)
    assert sut["daily_gacha_1"]["progress"] == 1
    assert sut["daily_gacha_1"]["claimable"] is True
    assert sut["weekly_gacha_10"]["progress"] == 1


async def test_a_claim_before_completion_is_409_not_claimable_and_an_unknown_mission_404(client: Client) -> None:
    player = await sign_up(client)

    early = await claim(client, player, "daily_spins_20")
    unknown = await claim(client, player, "no_such_mission")

    assert (early.status_code, early.json()["error"]["code"]) == (409, "NOT_CLAIMABLE")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_a_completed_mission_pays_once_then_409_already_claimed(client: Client, admin: dict[str, Any]) -> None:
    mission = await create_mission(client, admin, target=2, reward={"coins": 70, "gems": 3})
    player = await sign_up(client)
    await settle(client)
    await spins(client, player, 2)

    first = await claim(client, player, mission["mission_id"])
    second = await claim(client, player, mission["mission_id"])

    assert first.status_code == 200, first.text
    wallet = await get_ok(client, "/api/wallet", player)
    assert first.json() == {"mission_id": mission["mission_id"], "reward": {"coins": 70, "gems": 3},
                            "balances": {"coins": wallet["coins"], "gems": wallet["gems"]}}  # fmt: skip
    assert (second.status_code, second.json()["error"]["code"]) == (409, "ALREADY_CLAIMED")
    listed = (await missions_by_id(client, player))[mission["mission_id"]]
    assert (listed["claimed"], listed["claimable"]) == (True, False)


async def test_sixteen_concurrent_claims_pay_one_reward_and_the_ledger_explains_the_balance(
    client: Client, admin: dict[str, Any]
) -> None:
    mission = await create_mission(client, admin, target=1, reward={"coins": 500, "gems": 5})
    player = await sign_up(client)
    await settle(client)
    await spins(client, player, 1)

    answers = await asyncio.gather(*(claim(client, player, mission["mission_id"]) for _ in range(16)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 15
    assert {answer.json()["error"]["code"] for answer in answers if answer.status_code == 409} == {"ALREADY_CLAIMED"}
    ledger = (await get_ok(client, "/api/wallet/ledger?limit=100", player))["items"][::-1]  # oldest first
    paid = [entry for entry in ledger if entry["reason"] == "mission_reward"]
    assert sorted((entry["currency"], entry["delta"]) for entry in paid) == [("coins", 500), ("gems", 5)]
    assert {entry["ref_type"] for entry in paid} == {"mission"}
    assert all(mission["mission_id"] in entry["ref_id"] for entry in paid)
    wallet = await get_ok(client, "/api/wallet", player)
    assert_ledger_explains(ledger, "coins", wallet["coins"])
    assert_ledger_explains(ledger, "gems", wallet["gems"])


async def test_an_idempotency_key_replays_the_first_claim(client: Client, admin: dict[str, Any]) -> None:
    mission = await create_mission(client, admin, target=1, reward={"coins": 40})
    player = await sign_up(client)
    await settle(client)
    await spins(client, player, 1)
    key = uuid.uuid4().hex

    first = await claim(client, player, mission["mission_id"], **{"Idempotency-Key": key})
    replay = await claim(client, player, mission["mission_id"], **{"Idempotency-Key": key})

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    ledger = (await get_ok(client, "/api/wallet/ledger?limit=100", player))["items"]
    assert [entry["delta"] for entry in ledger if entry["reason"] == "mission_reward"] == [40]


async def test_the_routes_are_in_the_openapi_document_with_their_schemas(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]

    def response_schema(path: str, method: str) -> dict[str, Any]:
        responses = paths[path][method]["responses"]
        ok = responses.get("200") or responses["201"]
        schema: dict[str, Any] = ok["content"]["application/json"]["schema"]
        return schema

    for path, method in [
        ("/api/missions", "get"),
        ("/api/missions/{mission_id}/claim", "post"),
        ("/api/achievements", "get"),
        ("/api/achievements/{achievement_id}/claim", "post"),
        ("/api/admin/engagement/missions", "get"),
        ("/api/admin/engagement/missions", "post"),
        ("/api/admin/engagement/missions/{mission_id}", "put"),
        ("/api/admin/engagement/achievements", "post"),
        ("/api/admin/engagement/achievements/{achievement_id}", "put"),
    ]:
        assert response_schema(path, method), (path, method)
    for path, method in [
        ("/api/admin/engagement/missions", "post"),
        ("/api/admin/engagement/missions/{mission_id}", "put"),
        ("/api/admin/engagement/achievements", "post"),
        ("/api/admin/engagement/achievements/{achievement_id}", "put"),
        ("/api/missions/{mission_id}/claim", "post"),
    ]:
        assert paths[path][method]["requestBody"]["content"]["application/json"]["schema"], (path, method)
    missions = document["components"]["schemas"]["MissionsOut"]["properties"]
    assert {"items", "daily_resets_at", "weekly_resets_at"} <= set(missions)
