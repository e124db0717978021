"""The payment sweeps on PostgreSQL + Redis: stale purchases are voided, expired stock holds end their purchase."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.application.shop.purchases import release_expired_holds, void_stale_transactions
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import ShiftedClock

# long next to a loaded machine's pace (0.6 s once voided a purchase before the first sweep), short of the tokens'
# 10 s leeway: the app's clock runs ahead of the token check's, and the tests move it past this age instead of waiting
MAX_AGE_SECONDS = 4.0


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {
        "job_queue": "in-process",
        "pending_tx_max_age_minutes": MAX_AGE_SECONDS / 60,
        "limited_hold_ttl_seconds": MAX_AGE_SECONDS,
    }


@pytest.fixture(scope="module")
def app_clock() -> ShiftedClock:
    """The sweeps compare ages with the app's clock: moving it forward ages the purchases without waiting."""
    return ShiftedClock()


@pytest.fixture
def clock(app_clock: ShiftedClock) -> ShiftedClock:
    return app_clock


async def _buy(client: Any, player: dict[str, Any], path: str, **body: Any) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**bearer(player), "idempotency-key": uuid.uuid4().hex})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _transaction(client: Any, player: dict[str, Any], tx_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/shop/transactions/{tx_id}", headers=bearer(player))
    tx: dict[str, Any] = response.json()
    return tx


async def test_a_purchase_left_pending_is_voided_as_stale(
    client: Any, container: Container, clock: ShiftedClock
) -> None:
    player = await sign_up(client)
    pending = await _buy(client, player, "/api/shop/buy", sku="gems_100", card_token="tok_pending")

    await in_app(client, lambda: void_stale_transactions(container.purchases))
    too_early = await _transaction(client, player, pending["transaction_id"])
    clock.advance(MAX_AGE_SECONDS + 1)
    voided = await in_app(client, lambda: void_stale_transactions(container.purchases))

    tx = await _transaction(client, player, pending["transaction_id"])
    assert too_early["status"] == "pending"
    assert voided >= 1  # the database is shared: other tests' stale purchases may be voided too
    assert (tx["status"], tx["failure_reason"], tx["gems_granted"]) == ("voided", "STALE_AUTO_VOID", 0)
    assert [change["status"] for change in tx["history"]] == ["pending", "voided"]


async def test_an_expired_hold_ends_the_purchase_and_frees_the_stock(
    client: Any, container: Container, admin: dict[str, Any], clock: ShiftedClock
) -> None:
    now, package_id = datetime.now(UTC), f"sweep_{uuid.uuid4().hex[:10]}"
    package = {
        "package_id": package_id,
        "name": "Sweep bundle",
        "price_cents": 99,
        "gems": 10,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "max_global_stock": 1,
        "per_user_limit": 1,
    }
    upserted = await client.post("/api/admin/limited-packages/upsert", json=package, headers=bearer(admin))
    assert upserted.status_code == 200, upserted.text
    first, second = await sign_up(client), await sign_up(client)
    held = await _buy(client, first, "/api/shop/limited/buy", package_id=package_id, card_token="tok_pending")

    clock.advance(MAX_AGE_SECONDS + 1)
    released = await in_app(client, lambda: release_expired_holds(container.purchases))
    bought = await _buy(client, second, "/api/shop/limited/buy", package_id=package_id, card_token="tok_visa")

    expired = await _transaction(client, first, held["transaction_id"])
    assert released >= 1
    assert (expired["status"], expired["failure_reason"]) == ("voided", "PENDING_TIMEOUT")
    assert bought["status"] == "captured"
