"""Helpers for the mission and achievement API tests: plays, reads by id, grants, claims."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.engagement.conftest import get_ok
from tests.support.api import bearer
from tests.support.realtime import settle

MISSIONS, ACHIEVEMENTS = "/api/missions", "/api/achievements"
ADMIN_MISSIONS, ADMIN_ACHIEVEMENTS = "/api/admin/engagement/missions", "/api/admin/engagement/achievements"

Client = AsyncTestClient[Litestar]


async def spins(client: Client, player: dict[str, Any], count: int, bet: int = 10) -> list[dict[str, Any]]:
    results = []
    for _ in range(count):
        response = await client.post("/api/games/slot/spin", json={"bet": bet}, headers=bearer(player))
        assert response.status_code == 200, response.text
        results.append(response.json())
    await settle(client)
    return results


async def grant_gems(client: Client, admin: dict[str, Any], player: dict[str, Any], gems: int) -> None:
    response = await client.post(
        f"/api/admin/users/{player['user']['id']}/grant",
        json={"currency": "gems", "amount": gems, "reason": "mission test"},
        headers={**bearer(admin), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


async def pull(client: Client, player: dict[str, Any], count: int = 1) -> dict[str, Any]:
    response = await client.post("/api/games/gacha/pull", json={"count": count}, headers=bearer(player))
    assert response.status_code == 200, response.text
    await settle(client)
    body: dict[str, Any] = response.json()
    return body


async def missions_by_id(client: Client, player: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = await get_ok(client, MISSIONS, player)
    return {item["mission_id"]: item for item in body["items"]}


async def achievements_by_id(client: Client, player: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = await get_ok(client, ACHIEVEMENTS, player)
    return {item["achievement_id"]: item for item in body["items"]}


async def create_mission(client: Client, admin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"mission_id": f"t_{uuid.uuid4().hex[:16]}", "title": "Test mission", "period": "daily",
            "metric": "spins", "target": 3, "reward": {"coins": 50}, **fields}  # fmt: skip
    response = await client.post(ADMIN_MISSIONS, json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def claim(client: Client, player: dict[str, Any], mission_id: str, **headers: str) -> Any:
    return await client.post(f"{MISSIONS}/{mission_id}/claim", headers=bearer(player) | headers)
