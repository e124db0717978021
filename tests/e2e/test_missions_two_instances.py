"""Missions on two app processes sharing PostgreSQL and Redis (both run the outbox relay): a spin counts once, 16
claims spread over both instances pay one reward, and `verify-ledger` finds every wallet consistent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import bearer, sign_up
from tests.support.clocks import wait_clear_of_midnight
from tests.support.env import TEST_REDIS_URL
from tests.support.polling import eventually
from tests.support.processes import run_cli, two_instances

pytestmark = pytest.mark.e2e


@pytest.fixture
def instances(database: tuple[str, str], env: dict[str, str], tmp_path: Any) -> Iterator[tuple[str, str]]:
    with two_instances(database[0], TEST_REDIS_URL, tmp_path / "apps") as urls:
        yield urls


async def _missions(client: httpx.AsyncClient, player: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/missions", headers=bearer(player))
    assert response.status_code == 200, response.text
    return {item["mission_id"]: item for item in response.json()["items"]}


async def _claims_pay_once(a_url: str, b_url: str) -> tuple[list[int], dict[str, dict[str, Any]]]:
    async with httpx.AsyncClient(base_url=a_url, timeout=30) as a, httpx.AsyncClient(base_url=b_url, timeout=30) as b:
        player = await sign_up(a)
        await eventually(lambda: _funded(b, player))
        for client in (a, b):
            spun = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
            assert spun.status_code == 200, spun.text

        async def counted() -> bool:
            return (await _missions(a, player))["daily_spins_20"]["progress"] == 2

        await eventually(counted)
        answers = await asyncio.gather(
            *((a, b)[i % 2].post("/api/missions/first_spin/claim", headers=bearer(player)) for i in range(16))
        )
        return sorted(answer.status_code for answer in answers), await _missions(b, player)


async def _funded(client: httpx.AsyncClient, player: dict[str, Any]) -> bool:
    response = await client.get("/api/wallet", headers=bearer(player))
    return bool(response.json()["coins"] >= 1000)


def test_claims_on_two_instances_pay_once_and_the_ledger_verifies(
    instances: tuple[str, str], env: dict[str, str]
) -> None:
    wait_clear_of_midnight(120)  # the spins and the reads of the daily mission fall on one day of the servers' clock
    statuses, missions = asyncio.run(_claims_pay_once(*instances))
    verified = run_cli("verify-ledger", env=env)

    assert statuses == [200] + [409] * 15
    assert (missions["first_spin"]["claimed"], missions["daily_spins_20"]["progress"]) == (True, 2)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 drifted" in verified.stdout
