"""Capture retries on a real `casino-club worker --queue payments` process (PostgreSQL + Redis, JOB_QUEUE=arq).

The app runs in the test; the worker is a subprocess on the same database and Redis namespace, so both see one
sandbox gateway. A worker SIGKILLed while a capture is in flight is restarted and the purchase still grants once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.adapters.redis.cache import RedisCache
from src.application.shop.payments import ChargeStatus
from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import bearer, sign_up
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import Process, start_cli, stop

pytestmark = pytest.mark.e2e

SETTLE_TIMEOUT_SECONDS = 45.0
WORKER_JOB_TIMEOUT_SECONDS = 4
WORKER_RERUN_MARGIN_SECONDS = 1  # a killed worker's job runs again 4 + 1 + 1 s after it started (16 s by default)
CAPTURE_DELAY_SECONDS = 1.0  # the worker's gateway answers captures this late: the window to kill it in


def _env(pg_url: str, redis_namespace: str, **extra: Any) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "LOG_LEVEL": "WARNING",
        "JOB_QUEUE": "arq",
        "CAPTURE_RETRY_BASE_SECONDS": "0.1",
        "WORKER_JOB_TIMEOUT_SECONDS": str(WORKER_JOB_TIMEOUT_SECONDS),
        "WORKER_RERUN_MARGIN_SECONDS": str(WORKER_RERUN_MARGIN_SECONDS),
        **{key.upper(): str(value) for key, value in extra.items()},
    }


@contextmanager
def payments_worker(env: dict[str, str], var_dir: Path) -> Iterator[Process]:
    """`casino-club worker --queue payments`, its output in var_dir/worker.log; stopped (SIGTERM) afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / "worker.log").open("ab") as log:
        process = start_cli(
            "worker", "--queue", "payments", env={**env, "VAR_DIR": str(var_dir)}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        stop(process)


@asynccontextmanager
async def app_client(env: dict[str, str], olap_dsn: str, var_dir: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = load_settings({**env, "VAR_DIR": str(var_dir), "CLICKHOUSE_DSN": olap_dsn}, env_file=None)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


@asynccontextmanager
async def sandbox(redis_namespace: str) -> AsyncIterator[SandboxPaymentGateway]:
    """The sandbox as the app and the worker see it (its state is in their Redis namespace)."""
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        yield SandboxPaymentGateway("unused-here", RedisCache(client, namespace=redis_namespace))
    finally:
        await client.aclose()


async def _buy(client: Any, player: dict[str, Any], card_token: str, **limited: Any) -> dict[str, Any]:
    path, body = ("/api/shop/limited/buy", limited) if limited else ("/api/shop/buy", {"sku": "gems_100"})
    response = await client.post(
        path,
        json={**body, "quantity": 1, "card_token": card_token},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _transaction(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))
    assert response.status_code == 200, response.text
    tx: dict[str, Any] = response.json()
    return tx


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no worker log)"


async def _settled(client: Any, player: dict[str, Any], tx_id: str, worker_log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        tx = await _transaction(client, player, tx_id)
        if tx["status"] not in ("pending", "authorized"):
            return tx
        await asyncio.sleep(0.1)
    raise AssertionError(f"transaction {tx_id} did not settle: {tx}\nworker log:\n{_tail(worker_log)}")


async def _purchase_grants(client: Any, player: dict[str, Any]) -> list[tuple[int, str]]:
    response = await client.get("/api/wallet/ledger?limit=100", headers=bearer(player))
    entries = response.json()["items"]
    return [(entry["delta"], entry["ref_id"]) for entry in entries if entry["reason"] == "purchase"]


async def _launch_bundle(client: Any, player: dict[str, Any]) -> dict[str, Any]:
    packages = (await client.get("/api/shop/limited/catalog", headers=bearer(player))).json()
    bundle: dict[str, Any] = next(item for item in packages if item["package_id"] == "launch_bundle")
    return bundle


async def test_worker_retries_end_captured_once_or_failed_with_nothing_granted(
    pg_url: str, redis_namespace: str, olap_dsn: str, tmp_path: Path
) -> None:
    env = _env(pg_url, redis_namespace)
    with payments_worker(env, tmp_path / "worker") as worker:
        async with app_client(env, olap_dsn, tmp_path / "app") as client, sandbox(redis_namespace) as gateway:
            player = await sign_up(client)
            stock_before = (await _launch_bundle(client, player))["stock_remaining"]

            retried = await _buy(client, player, "tok_captureRetry")
            failing = await _buy(client, player, "tok_captureFail")
            failing_limited = await _buy(client, player, "tok_captureFail", package_id="launch_bundle")
            answers = [retried["status"], failing["status"], failing_limited["status"]]

            log = tmp_path / "worker" / "worker.log"
            captured = await _settled(client, player, retried["transaction_id"], log)
            failed = await _settled(client, player, failing["transaction_id"], log)
            failed_limited = await _settled(client, player, failing_limited["transaction_id"], log)
            bundle_after = await _launch_bundle(client, player)
            grants = await _purchase_grants(client, player)
            failed_charge = await gateway.charge_status(failing["charge_id"])
        still_running = worker.poll() is None

    assert answers == ["pending", "pending", "pending"]
    assert (captured["status"], captured["capture_attempts"], captured["gems_granted"]) == ("captured", 3, 100)
    assert grants == [(100, retried["transaction_id"])]
    for tx in (failed, failed_limited):
        assert (tx["status"], tx["failure_reason"], tx["capture_attempts"], tx["gems_granted"]) == (
            "failed",
            "CAPTURE_FAILED",
            5,
            0,
        )
    assert failed_charge is ChargeStatus.VOIDED
    assert (bundle_after["stock_remaining"], bundle_after["user_purchased"]) == (stock_before, 0)
    assert still_running


async def _wait_for_gateway_capture(gateway: SandboxPaymentGateway, charge_id: str, worker_log: Path) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while await gateway.charge_status(charge_id) is not ChargeStatus.CAPTURED:
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker never captured {charge_id}:\n{_tail(worker_log)}")
        await asyncio.sleep(0.02)


async def test_a_worker_killed_in_the_middle_of_a_capture_grants_once_after_a_restart(
    pg_url: str, redis_namespace: str, olap_dsn: str, tmp_path: Path
) -> None:
    env = _env(pg_url, redis_namespace)
    slow_worker_env = {**env, "SANDBOX_CAPTURE_DELAY_SECONDS": str(CAPTURE_DELAY_SECONDS)}
    log = tmp_path / "worker" / "worker.log"
    async with app_client(env, olap_dsn, tmp_path / "app") as client, sandbox(redis_namespace) as gateway:
        player = await sign_up(client)
        bought = await _buy(client, player, "tok_captureRetry")
        with payments_worker(slow_worker_env, tmp_path / "worker") as worker:
            # the gateway has captured, the worker sleeps before it hears so and records it: kill it now
            await _wait_for_gateway_capture(gateway, bought["charge_id"], log)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        at_kill = await _transaction(client, player, bought["transaction_id"])
        with payments_worker(slow_worker_env, tmp_path / "worker"):
            settled = await _settled(client, player, bought["transaction_id"], log)
            grants = await _purchase_grants(client, player)
        gems = (await client.get("/api/wallet", headers=bearer(player))).json()["gems"]

    assert bought["status"] == "pending"
    assert (at_kill["status"], at_kill["gems_granted"]) == ("authorized", 0)
    assert (worker.returncode, settled["status"], settled["gems_granted"]) == (-signal.SIGKILL, "captured", 100)
    assert grants == [(100, bought["transaction_id"])]
    assert gems == 100


async def test_the_worker_cron_voids_stale_purchases(
    pg_url: str, redis_namespace: str, olap_dsn: str, tmp_path: Path
) -> None:
    env = _env(pg_url, redis_namespace, pending_tx_max_age_minutes=0.01)
    async with app_client(env, olap_dsn, tmp_path / "app") as client, sandbox(redis_namespace) as gateway:
        player = await sign_up(client)
        bought = await _buy(client, player, "tok_pending")
        await asyncio.sleep(1)  # older than PENDING_TX_MAX_AGE_MINUTES when the worker's first sweep runs
        with payments_worker(env, tmp_path / "worker"):
            voided = await _settled(client, player, bought["transaction_id"], tmp_path / "worker" / "worker.log")
        charge = await gateway.charge_status(bought["charge_id"])

    assert (voided["status"], voided["failure_reason"], voided["gems_granted"]) == ("voided", "STALE_AUTO_VOID", 0)
    assert charge is ChargeStatus.VOIDED
