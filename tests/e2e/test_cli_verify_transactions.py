"""`verify-transactions` as an operator runs it: every sealed purchase verifies until a row is tampered with."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from litestar.testing import AsyncTestClient

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import bearer, sign_up
from tests.support.databases import execute_sql
from tests.support.processes import run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "FRAUD_MAX_DISTINCT_CARDS": "10"}  # three different test cards in a row


async def _buy_three(env: dict[str, str]) -> list[str]:
    """A captured, a declined and a pending purchase through the real app."""
    async with AsyncTestClient(create_app(load_settings({**env, "APP_ENV": "test"}, env_file=None))) as client:
        player = await sign_up(client)
        for token in ("tok_visa", "tok_chargeDeclined", "tok_pending"):
            response = await client.post(
                "/api/shop/buy",
                json={"sku": "gems_100", "card_token": token},
                headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
            )
            assert response.status_code in (200, 402), response.text
        listing = await client.get("/api/shop/transactions", headers=bearer(player))
        return [tx["id"] for tx in listing.json()["items"]]


def test_verify_transactions_passes_then_names_the_tampered_row(env: dict[str, str], database: tuple[str, str]) -> None:
    ids = asyncio.run(_buy_three(env))

    clean = run_cli("verify-transactions", env=env)
    asyncio.run(execute_sql(database[1], "UPDATE purchase_transactions SET gems = gems * 10 WHERE id = $1", ids[0]))
    tampered = run_cli("verify-transactions", env=env)

    assert len(ids) == 3
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "3 transactions checked, 0 tampered" in clean.stdout
    assert tampered.returncode == 1
    assert f"TAMPERED transaction={ids[0]}" in tampered.stdout
    assert "3 transactions checked, 1 tampered" in tampered.stdout


def test_rows_sealed_with_a_retired_key_still_verify(env: dict[str, str]) -> None:
    asyncio.run(_buy_three(env))
    rotated = {
        **env,
        "TRANSACTION_INTEGRITY_KEY_ID": "k2",
        "TRANSACTION_INTEGRITY_SECRET": "a-brand-new-integrity-secret-0123456789",
    }

    without_old_key = run_cli("verify-transactions", env=rotated)
    with_old_key = run_cli(
        "verify-transactions",
        env={**rotated, "TRANSACTION_INTEGRITY_PREVIOUS_KEYS": "k1:dev-only-integrity-secret-not-for-production"},
    )

    assert without_old_key.returncode == 1
    assert with_old_key.returncode == 0, with_old_key.stdout + with_old_key.stderr
