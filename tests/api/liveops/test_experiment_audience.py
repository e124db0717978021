"""An experiment with an audience: only the segment's members (as of the last recompute) are assigned and exposed;
anyone else gets the default (variant null) and records nothing."""

from __future__ import annotations

import random
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.liveops.experiments_support import create_experiment
from tests.support.api import bearer, sign_up
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "job_queue": "in-process"}  # the recompute runs in the app


async def _recompute(client: Client, admin: dict[str, Any]) -> None:
    accepted = await client.post("/api/admin/segments/recompute", headers=bearer(admin))
    assert accepted.status_code == 202, accepted.text
    url = f"/api/admin/segments/jobs/{accepted.json()['job_id']}"

    async def finished() -> bool:
        return bool((await client.get(url, headers=bearer(admin))).json()["status"] in ("done", "failed"))

    await eventually(finished, deadline=60)
    assert (await client.get(url, headers=bearer(admin))).json()["status"] == "done"


async def _set_tier(pg_url: str, user_id: str, tier: int) -> None:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("UPDATE users SET vip_tier = $1 WHERE id = $2", tier, user_id)
    finally:
        await connection.close()


async def test_only_members_of_the_audience_are_assigned(client: Client, admin: dict[str, Any], pg_url: str) -> None:
    tier = random.randint(10_000, 10**9)
    member, outsider = await sign_up(client), await sign_up(client)
    await _set_tier(
        pg_url, member["user"]["id"], tier
    )  # a tier of its own (the API allows 0–10), as segments' tests do
    await _recompute(client, admin)
    segment = {"name": f"tier_{tier}", "rule": f"vip_tier = {tier}"}
    created = await client.post("/api/admin/segments", json=segment, headers=bearer(admin))
    assert created.status_code == 201, created.text

    experiment = await create_experiment(client, admin, audience=segment["name"])
    url = f"/api/abtest/variant?experiment={experiment['key']}"
    inside = (await client.get(url, headers=bearer(member))).json()
    outside = (await client.get(url, headers=bearer(outsider))).json()

    assert experiment["audience"] == segment["name"]
    assert inside["variant"] in ("control", "bundle")
    assert (outside["variant"], outside["params"], outside["assigned_at"]) == (None, {}, None)
