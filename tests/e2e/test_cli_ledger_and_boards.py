"""`verify-ledger` and `rebuild-leaderboards` as an operator runs them, on a database of their own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import bearer, in_app, sign_up
from tests.support.databases import execute_sql
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import run_cli
from tests.support.redis_keys import delete_namespace

pytestmark = pytest.mark.e2e


async def _play(env: dict[str, str], spins: int) -> list[dict[str, Any]]:
    """Two players, a few spins each, through the real app."""
    app = create_app(load_settings({**env, "APP_ENV": "test"}, env_file=None))
    async with AsyncTestClient(app) as client:
        players = [await sign_up(client), await sign_up(client)]
        for player in players:
            for _ in range(spins):
                response = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
                assert response.status_code == 200, response.text
        await in_app(client, app.state.container.relay.drain)
        return [
            (await client.get("/api/games/leaderboard?board=net_coins&period=all_time", headers=bearer(p))).json()
            for p in players
        ]


def test_verify_ledger_passes_then_reports_drift(env: dict[str, str], database: tuple[str, str]) -> None:
    asyncio.run(_play(env, spins=5))

    clean = run_cli("verify-ledger", env=env)
    asyncio.run(
        execute_sql(
            database[1], "UPDATE wallets SET balance = balance + 7 WHERE ctid = (SELECT min(ctid) FROM wallets)"
        )
    )
    drifted = run_cli("verify-ledger", env=env)

    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 drifted" in clean.stdout
    assert drifted.returncode == 1
    assert drifted.stdout.count("DRIFT") == 1
    assert "1 drifted" in drifted.stdout


def test_verify_ledger_finds_a_broken_balance_chain(env: dict[str, str], database: tuple[str, str]) -> None:
    asyncio.run(_play(env, spins=3))
    corrupt_middle_row = (
        "UPDATE ledger_entries SET balance_after = balance_after + 1"
        " WHERE id = (SELECT id FROM ledger_entries ORDER BY id DESC OFFSET 2 LIMIT 1)"
    )

    asyncio.run(execute_sql(database[1], corrupt_middle_row))
    result = run_cli("verify-ledger", env=env)

    assert result.returncode == 1
    assert "chain_breaks=" in result.stdout
    assert "chain_breaks=0" not in [
        part for line in result.stdout.splitlines() if "DRIFT" in line for part in line.split()
    ]


async def _wipe_redis(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


async def _read_board(env: dict[str, str]) -> dict[str, float]:
    async with AsyncTestClient(create_app(load_settings({**env, "APP_ENV": "test"}, env_file=None))) as client:
        viewer = await sign_up(client)
        board = await client.get(
            "/api/games/leaderboard?board=net_coins&period=all_time&limit=100", headers=bearer(viewer)
        )
    return {item["user_id"]: item["score"] for item in board.json()["items"]}


def test_rebuild_leaderboards_restores_lost_boards(env: dict[str, str]) -> None:
    before = asyncio.run(_play(env, spins=4))
    scores_before = {item["user_id"]: item["score"] for item in before[0]["items"]}
    assert len(scores_before) >= 1

    asyncio.run(_wipe_redis(env["REDIS_NAMESPACE"]))
    emptied = asyncio.run(_read_board(env))
    result = run_cli("rebuild-leaderboards", env=env)
    rebuilt = asyncio.run(_read_board(env))

    assert result.returncode == 0, result.stderr
    assert "net_coins:all_time" in result.stdout
    assert not set(scores_before) & set(emptied)
    assert {user: rebuilt.get(user) for user in scores_before} == scores_before
