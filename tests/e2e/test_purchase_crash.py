"""kill -9 of the app while the gateway captures a purchase: one Idempotency-Key ends as one charge and one grant.

Real `casino-club serve` processes on PostgreSQL + Redis (the sandbox gateway keeps its charges in Redis, so every
process and this test see one gateway). Instance A takes `POST /api/shop/buy` with key K and is SIGKILLed once the
gateway has captured the charge (its capture answer is held back by SANDBOX_CAPTURE_DELAY_SECONDS); instance B is
the other instance of the deployment, and A is restarted. Retries of K before the in-flight timeout answer 409;
after it they find the purchase K opened. The stale sweep (run here, on the same database and Redis) reconciles it
with the gateway. Whichever comes first, retry or sweep, the end is the same: one charge, one grant.
JOB_QUEUE=arq with no worker: no capture job or cron settles anything behind the test's back.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from src.application.shop.payments import ChargeStatus
from src.application.shop.purchases import void_stale_transactions
from src.entrypoints.bootstrap import open_container
from src.entrypoints.container import Container
from src.entrypoints.settings import load_settings
from tests.support.api import bearer, sign_up
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import Server, started_server

pytestmark = pytest.mark.e2e

# long enough that the 409 before it is asserted (a retry ~0.5 s after the request began, quiet, ~2 s at load 6),
# short enough that the test does not wait on it for long (8 s before: 3 s more of waiting in each test)
IN_FLIGHT_TIMEOUT_SECONDS = 5
DEADLINE_SECONDS = 60.0
BODY = {"sku": "gems_100", "quantity": 1, "card_token": "tok_visa"}


@dataclass
class Deployment:
    """Two app processes (A is the one killed, then restarted) and the test's own view of their state."""

    env: dict[str, str]
    a: Server
    b: Server
    stack: ExitStack
    container: Container
    namespace: str

    def restart_a(self) -> Server:
        self.a = self.stack.enter_context(started_server({**self.env, "VAR_DIR": self.env["VAR_DIR"] + "-a2"}))
        return self.a


def _env(pg_url: str, namespace: str, var_dir: Path) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": namespace,
        "LOG_LEVEL": "WARNING",
        "JOB_QUEUE": "arq",
        "VAR_DIR": str(var_dir),
        "SANDBOX_CAPTURE_DELAY_SECONDS": "60",  # the capture is decided, its answer held back: the moment to kill
        "IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS": str(IN_FLIGHT_TIMEOUT_SECONDS),
        "PENDING_TX_MAX_AGE_MINUTES": "0.01",
    }


@contextmanager
def _two_servers(env: dict[str, str]) -> Iterator[tuple[ExitStack, Server, Server]]:
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        envs = [{**env, "VAR_DIR": f"{env['VAR_DIR']}-{name}"} for name in ("a", "b")]
        a, b = (future.result() for future in [pool.submit(stack.enter_context, started_server(e)) for e in envs])
        yield stack, a, b


@asynccontextmanager
async def _deployment(pg_url: str, redis_namespace: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    env = _env(pg_url, redis_namespace, tmp_path / "var")
    settings = load_settings({**env, "VAR_DIR": str(tmp_path / "test"), "SANDBOX_CAPTURE_DELAY_SECONDS": "0"}, None)
    with _two_servers(env) as (stack, a, b):
        async with open_container(settings) as container:
            yield Deployment(env, a, b, stack, container, redis_namespace)


async def _until(check: Any, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if (found := await check()) is not None:
            return found
        await asyncio.sleep(interval)
    raise AssertionError(f"not within {DEADLINE_SECONDS}s: {what}")


async def _captured_at_gateway(sut: Deployment, user_id: str) -> str:
    """The purchase's transaction id, once the gateway has captured its charge."""

    async def captured() -> str | None:
        async with sut.container.purchases.uow_factory() as uow:
            page = await uow.transactions.list_for_user(user_id, 10, None)
        if not page.items:
            return None
        gateway = sut.container.purchases.gateway
        charge_id = await gateway.find_charge(page.items[0].payment_key)
        captured = charge_id is not None and await gateway.charge_status(charge_id) is ChargeStatus.CAPTURED
        return page.items[0].id if captured else None

    found: str = await _until(captured, "the gateway captured the purchase")
    return found


async def _kill_a_mid_capture(sut: Deployment, player: dict[str, Any], key: str) -> tuple[str, float]:
    """POST /buy with `key` to A, kill -9 A once the gateway captured; (transaction id, when the request began)."""
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=sut.a.url, timeout=120) as a:
        buying = asyncio.create_task(a.post("/api/shop/buy", json=BODY, headers=_keyed(player, key)))
        tx_id = await _captured_at_gateway(sut, player["user"]["id"])
        sut.a.process.send_signal(signal.SIGKILL)
        sut.a.process.wait()
        with pytest.raises(httpx.TransportError):
            await buying  # the app died mid-request: no answer
    return tx_id, began


def _keyed(player: dict[str, Any], key: str) -> dict[str, str]:
    return {**bearer(player), "idempotency-key": key}


async def _retry(url: str, player: dict[str, Any], key: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await client.post("/api/shop/buy", json=BODY, headers=_keyed(player, key))


async def _check_in_progress(sut: Deployment, player: dict[str, Any], key: str, began: float) -> None:
    """Before the in-flight timeout the dead request still holds the key: 409 (asserted when clearly before it)."""
    response = await _retry(sut.b.url, player, key)
    if time.monotonic() - began < IN_FLIGHT_TIMEOUT_SECONDS - 1:
        assert (response.status_code, response.json()["error"]["code"]) == (409, "IDEMPOTENCY_IN_PROGRESS")
    else:
        assert response.status_code in (200, 409), response.text


async def _retry_after_timeout(url: str, player: dict[str, Any], key: str) -> httpx.Response:
    """The first retry of `key` that the dead request no longer holds (409 until the in-flight timeout, which
    counts from when the killed instance took the key: later than the test's `began` on a loaded machine)."""

    async def answered() -> httpx.Response | None:
        response = await _retry(url, player, key)
        held = response.status_code == 409 and response.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
        return None if held else response

    found: httpx.Response = await _until(answered, "a retry after the in-flight timeout", interval=0.2)
    return found


async def _sweep(sut: Deployment, tx_id: str) -> None:
    """The stale sweep, run until it has settled the purchase (it waits PENDING_TX_MAX_AGE first)."""

    async def settled() -> bool | None:
        await void_stale_transactions(sut.container.purchases)
        async with sut.container.purchases.uow_factory() as uow:
            tx = await uow.transactions.get(tx_id)
        return True if tx is not None and tx.is_settled else None

    await _until(settled, "the stale sweep settled the purchase")


async def _assert_one_charge_one_grant(sut: Deployment, player: dict[str, Any], tx_id: str) -> None:
    async with httpx.AsyncClient(base_url=sut.b.url, timeout=60) as b:
        transactions = (await b.get("/api/shop/transactions?limit=100", headers=bearer(player))).json()["items"]
        ledger = (await b.get("/api/wallet/ledger?limit=100", headers=bearer(player))).json()["items"]
        wallet = (await b.get("/api/wallet", headers=bearer(player))).json()
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        charges = [key async for key in redis.scan_iter(match=f"{sut.namespace}sandbox:charge:*")]
    finally:
        await redis.aclose()
    assert [(tx["id"], tx["status"]) for tx in transactions] == [(tx_id, "captured")]
    assert [entry["ref_id"] for entry in ledger if entry["reason"] == "purchase"] == [tx_id]
    assert wallet["gems"] == 100
    assert len(charges) == 1


async def _signed_up(sut: Deployment) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sut.b.url, timeout=60) as b:
        return await sign_up(b)  # type: ignore[arg-type]


async def test_retry_after_the_timeout_then_the_sweep_ends_with_one_charge_and_one_grant(
    pg_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    async with _deployment(pg_url, redis_namespace, tmp_path) as sut:
        player, key = await _signed_up(sut), uuid.uuid4().hex
        tx_id, began = await _kill_a_mid_capture(sut, player, key)
        await _check_in_progress(sut, player, key, began)
        restarted = await asyncio.to_thread(sut.restart_a)

        while_open = await _retry_after_timeout(restarted.url, player, key)
        await _sweep(sut, tx_id)
        settled = await _retry(restarted.url, player, key)
        replayed = await _retry(sut.b.url, player, key)

        assert while_open.status_code == 200, while_open.text
        assert (while_open.json()["transaction_id"], while_open.json()["status"]) == (tx_id, "pending")
        assert settled.status_code == 200, settled.text
        assert (settled.json()["transaction_id"], settled.json()["status"]) == (tx_id, "captured")
        assert "idempotent-replayed" not in settled.headers  # the pending answer was not stored as K's answer
        assert (replayed.content, replayed.headers["idempotent-replayed"]) == (settled.content, "true")
        await _assert_one_charge_one_grant(sut, player, tx_id)


async def test_the_sweep_before_the_retries_ends_with_one_charge_and_one_grant(
    pg_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    async with _deployment(pg_url, redis_namespace, tmp_path) as sut:
        player, key = await _signed_up(sut), uuid.uuid4().hex
        tx_id, began = await _kill_a_mid_capture(sut, player, key)

        await _sweep(sut, tx_id)
        await _check_in_progress(sut, player, key, began)
        restarted = await asyncio.to_thread(sut.restart_a)
        retried = await _retry_after_timeout(restarted.url, player, key)
        replayed = await _retry(sut.b.url, player, key)

        assert retried.status_code == 200, retried.text
        assert (retried.json()["transaction_id"], retried.json()["status"]) == (tx_id, "captured")
        assert (replayed.content, replayed.headers["idempotent-replayed"]) == (retried.content, "true")
        await _assert_one_charge_one_grant(sut, player, tx_id)
