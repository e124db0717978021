"""With jobs in process, the app itself runs the payments sweeps; with arq it leaves them to the worker's cron."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.application.shop.purchases import void_stale_transactions
from src.entrypoints import jobs as jobs_table
from src.entrypoints.container import Container
from src.entrypoints.http import app as app_module
from tests.conftest import SettingsFactory
from tests.support.api import bearer, in_app, served, sign_up
from tests.support.polling import eventually

STALE_AFTER_MINUTES = 0.005  # 0.3 s


async def _pending_purchase(client: Any) -> tuple[dict[str, Any], str]:
    player = await sign_up(client)
    response = await client.post(
        "/api/shop/buy",
        json={"sku": "gems_100", "quantity": 1, "card_token": "tok_pending"},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )
    assert (response.status_code, response.json()["status"]) == (200, "pending"), response.text
    return player, response.json()["transaction_id"]


async def _status(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any]:
    tx: dict[str, Any] = (await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))).json()
    return tx


async def _settled(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any] | None:
    tx = await _status(client, player, tx_id)
    return None if tx["status"] == "pending" else tx


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The handlers the app's background tasks run periodically, as the app schedules them at start."""
    seen: list[Any] = []
    every = app_module._every

    def recording(interval_seconds: float, job: Any) -> Any:
        seen.append(job.func)  # partial(job.run, container, {})
        return every(interval_seconds, job)

    monkeypatch.setattr(app_module, "_every", recording)
    return seen


SWEEPS = {job.run for job in jobs_table.JOBS if job.name in ("void_stale_transactions", "release_expired_holds")}


@pytest.fixture(autouse=True)
def quick_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs_table, "STALE_VOID_INTERVAL_SECONDS", 0.1)
    monkeypatch.setattr(jobs_table, "HOLD_SWEEP_INTERVAL_SECONDS", 0.1)


async def test_jobs_in_process_the_app_voids_stale_purchases(
    make_settings: SettingsFactory, scheduled: list[Any]
) -> None:
    settings = make_settings(job_queue="in-process", pending_tx_max_age_minutes=STALE_AFTER_MINUTES)
    async with served(settings) as client:
        player, tx_id = await _pending_purchase(client)

        sut = await eventually(lambda: _settled(client, player, tx_id), deadline=15)

    assert set(scheduled) >= SWEEPS
    assert (sut["status"], sut["failure_reason"], sut["gems_granted"]) == ("voided", "STALE_AUTO_VOID", 0)


async def test_jobs_on_arq_the_app_leaves_the_sweeps_to_the_worker(
    make_settings: SettingsFactory, scheduled: list[Any]
) -> None:
    settings = make_settings(job_queue="arq", pending_tx_max_age_minutes=STALE_AFTER_MINUTES)
    async with served(settings) as client:
        player, tx_id = await _pending_purchase(client)

        sut = await _status(client, player, tx_id)
        # what the worker's cron would do: no purchase of this test stays open for the other tests' sweeps
        container: Container = client.app.state.container
        await in_app(client, lambda: void_stale_transactions(container.purchases))

    # no sweep is ever scheduled in the app (absence without waiting for it), while its other jobs are
    assert scheduled
    assert not SWEEPS & set(scheduled)
    assert (sut["status"], sut["failure_reason"]) == ("pending", None)


class _MovableClock:
    """A clock the test moves forward, so staleness needs no waiting."""

    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current


async def test_the_app_runs_its_sweeps_on_the_clock_it_is_given(make_settings: SettingsFactory) -> None:
    clock = _MovableClock()
    settings = make_settings(job_queue="arq", pending_tx_max_age_minutes=5)
    async with served(settings, clock) as client:
        player, tx_id = await _pending_purchase(client)
        container: Container = client.app.state.container
        sweep = next(job for job in jobs_table.JOBS if job.name == "void_stale_transactions")

        await in_app(client, lambda: sweep.run(container, {}))
        still_pending = (await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))).json()
        clock.current += timedelta(minutes=6)
        await in_app(client, lambda: sweep.run(container, {}))
        sut = (await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))).json()

    assert still_pending["status"] == "pending"
    assert (sut["status"], sut["failure_reason"]) == ("voided", "STALE_AUTO_VOID")
