"""Season-end settlement on two real `casino-club worker --queue maintenance` processes (PostgreSQL + Redis, arq),
one SIGKILLed mid-run: every player of the ended season, none of them online, is paid every reached level's
reward exactly once (free for all, premium for holders), and the ledger still explains every wallet."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import ADMIN_PASSWORD, bearer, in_app, unique
from tests.support.env import TEST_REDIS_URL
from tests.support.players import user_row, write
from tests.support.processes import run_cli, started_workers

pytestmark = pytest.mark.e2e

PLAYERS = 120
SEASON = "e2e_season"
STARTS, ENDS = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)  # long over


def _env(database_url: str, redis_namespace: str) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "JOB_QUEUE": "arq",
        "LOG_LEVEL": "WARNING",
        "TEST_CHEAP_PASSWORD_HASHES": "true",
        "SEASON_SETTLEMENT_INTERVAL_SECONDS": "1",
        "SEASON_SETTLEMENT_BATCH_SIZE": "1",  # one player a transaction: a long run to kill a worker in
    }


def _season() -> dict[str, Any]:
    levels = [
        {"level": n, "xp": 10 * n, "free": {"coins": 10 * n}, "premium": {"coins": 20 * n, "gems": 1}}
        for n in range(1, 31)
    ]
    return {
        "season_id": SEASON,
        "name": "Ended",
        "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(),
        "levels": levels,
        "premium_price_gems": 50,
    }


def _level(index: int) -> int:
    return index % 11


def _premium(index: int) -> bool:
    return index % 3 == 0


def _expected(index: int) -> dict[str, int]:
    level = _level(index)
    coins, gems = 5 * level * (level + 1), 0
    if _premium(index):
        coins, gems = coins + 10 * level * (level + 1), level
    return {currency: amount for currency, amount in (("coins", coins), ("gems", gems)) if amount}


async def _seed(container: Container) -> list[str]:
    """The players, written at once (none of them signs in again: how they signed up is not the subject), and
    their standings as the XP consumer and a premium purchase would have left them when the season ended."""
    users = [user_row(STARTS, signup_days=1, vip_tier=0) for _ in range(PLAYERS)]
    user_ids = [user["id"] for user in users]
    async with container.uow_factory() as uow:
        await write(uow.session, users, [], [])  # type: ignore[attr-defined]
        await uow.commit()
    async with container.battlepass.uow_factory() as uow:
        gains = {user_id: 10 * _level(index) for index, user_id in enumerate(user_ids)}
        await uow.battlepass.add_xp(SEASON, gains, STARTS)
        for index, user_id in enumerate(user_ids):
            if _premium(index):
                await uow.battlepass.lock_progress(SEASON, user_id)
                await uow.battlepass.set_premium(SEASON, user_id)
        await uow.commit()
    return user_ids


async def _unsettled(client: Any, container: Container) -> int:
    async def count() -> int:
        async with container.battlepass.uow_factory() as uow:
            return await uow.battlepass.count_unsettled(SEASON)

    return await in_app(client, count)


async def _season_rewards(client: Any, container: Container, user_ids: list[str]) -> list[dict[str, int]]:
    """Per player, what the ledger holds of the season's rewards: amount per currency, and how many rows."""

    async def read() -> list[dict[str, int]]:
        paid = []
        async with container.wallet.uow_factory() as uow:
            for user_id in user_ids:
                rows = (await uow.wallets.ledger(user_id, 100, None)).items
                rewards = [row for row in rows if row.reason == "battlepass_reward"]
                paid.append({str(row.currency): row.delta for row in rewards} | {"rows": len(rewards)})
        return paid

    return await in_app(client, read)


async def test_two_workers_one_killed_mid_run_pay_every_player_of_an_ended_season_once(
    database: tuple[str, str], redis_namespace: str, tmp_path: Path, olap_dsn: str
) -> None:
    env = _env(database[0], redis_namespace)
    admin_site_id = unique("admin")
    app_env = {
        "VAR_DIR": str(tmp_path / "app"),
        "CLICKHOUSE_DSN": olap_dsn,
        "ADMIN_SITE_ID": admin_site_id,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "OUTBOX_EXPORT_IN_APP": "false",  # the analytics export is not the subject; it cost a chDB insert a pass
    }
    async with AsyncTestClient(create_app(load_settings({**env, **app_env}, env_file=None))) as client:
        container: Container = client.app.state.container
        admin = (
            await client.post("/api/auth/admin/login", json={"site_id": admin_site_id, "password": ADMIN_PASSWORD})
        ).json()
        created = await client.post("/api/admin/engagement/battlepass", json=_season(), headers=bearer(admin))
        assert created.status_code == 201, created.text
        user_ids = await in_app(client, lambda: _seed(container))
        assert await _unsettled(client, container) == PLAYERS

        with started_workers("maintenance", env, tmp_path, 2) as workers:
            doomed, survivor = (worker.process for worker in workers)
            async with asyncio.timeout(90):
                while await _unsettled(client, container) > PLAYERS * 3 // 4:  # noqa: ASYNC110 - polling the record
                    await asyncio.sleep(0.02)
                doomed.send_signal(signal.SIGKILL)
                doomed.wait()
                left_at_kill = await _unsettled(client, container)
                while True:
                    season = (
                        await client.get(f"/api/admin/engagement/battlepass/{SEASON}", headers=bearer(admin))
                    ).json()
                    if season["settled_at"] is not None:
                        break
                    await asyncio.sleep(0.2)
            assert survivor.poll() is None

        paid = await _season_rewards(client, container, user_ids)

    assert doomed.returncode == -signal.SIGKILL
    assert 0 < left_at_kill < PLAYERS  # killed mid-run: some players were paid, some were not yet
    expected = [_expected(index) | {"rows": len(_expected(index))} for index in range(PLAYERS)]
    assert paid == expected
    verified = run_cli("verify-ledger", env={**env, "VAR_DIR": str(tmp_path / "cli")})
    assert verified.returncode == 0, verified.stdout + verified.stderr
