"""The arq worker process keeps events flowing when no app instance relays them."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import bearer, sign_up
from tests.support.clocks import ShiftedClock
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import run_cli, start_cli

pytestmark = pytest.mark.e2e


def _env(pg_url: str, redis_namespace: str, var_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "OUTBOX_RELAY_IN_APP": "false",
        "APP_ENV": "test",
    }


async def _play(env: dict[str, str], clock: ShiftedClock) -> tuple[dict[str, Any], int, Any]:
    """A player spins until their net result is not zero; returns (tokens, net coins, their board row)."""
    async with AsyncTestClient(create_app(load_settings(env, env_file=None), clock=clock)) as client:
        player, net = await sign_up(client), 0
        while net == 0:
            spin = await client.post("/api/games/slot/spin", json={"bet": 5}, headers=bearer(player))
            net = spin.json()["balance_after"] - 1000
        me = (await client.get("/api/games/leaderboard?board=net_coins&period=daily", headers=bearer(player))).json()
    return player, net, me["me"]


async def _my_row(env: dict[str, str], player: dict[str, Any], clock: ShiftedClock) -> Any:
    async with AsyncTestClient(create_app(load_settings(env, env_file=None), clock=clock)) as client:
        me = (await client.get("/api/games/leaderboard?board=net_coins&period=daily", headers=bearer(player))).json()
    return me["me"]


def test_the_worker_relays_events_the_app_left_in_the_outbox(pg_url: str, redis_namespace: str, tmp_path: Path) -> None:
    env = _env(pg_url, redis_namespace, tmp_path / "app")
    clock = ShiftedClock.clear_of_midnight()  # the spins and the reads of the daily board fall on one day
    player, net, before = asyncio.run(_play(env, clock))
    worker = start_cli(
        "worker", env={**env, "VAR_DIR": str(tmp_path / "worker")}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline, after = time.monotonic() + 30, before
        while after["rank"] is None and time.monotonic() < deadline:
            time.sleep(0.5)
            after = asyncio.run(_my_row(env, player, clock))
    finally:
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(timeout=30)

    assert before == {"rank": None, "score": None}
    assert after == {"rank": 1, "score": net}
    assert exit_code == 0


def test_the_worker_needs_redis(tmp_path: Path) -> None:
    result = run_cli("worker", env={"VAR_DIR": str(tmp_path), "REDIS_URL": ""})

    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr
