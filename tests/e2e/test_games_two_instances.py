"""Two app processes on one PostgreSQL database and one Redis namespace: spins on both share one wallet safely."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest

from tests.api.games.helpers import chain_breaks, get_json, ledger, spin, wallet
from tests.support.api import sign_up
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import two_instances

pytestmark = pytest.mark.e2e

SPINS, BET, STARTING_COINS = 64, 100, 1000
FUNDED_TIMEOUT_SECONDS = 10.0


class Instances(NamedTuple):
    """The system under test: the base URLs of two app processes sharing PostgreSQL and Redis."""

    a: str
    b: str


@pytest.fixture(scope="module")
def sut(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    with two_instances(pg_url, TEST_REDIS_URL, tmp_path_factory.mktemp("games")) as (first, second):
        yield Instances(first, second)


async def _funded(client: httpx.AsyncClient, tokens: dict[str, Any]) -> dict[str, int]:
    """The starting balance is credited from the signup event, by whichever instance relays it."""
    async with asyncio.timeout(FUNDED_TIMEOUT_SECONDS):
        while True:
            balances = await wallet(client, tokens)
            if balances["coins"] >= STARTING_COINS:
                return balances
            await asyncio.sleep(0.02)


async def test_64_concurrent_spins_on_two_instances_never_overdraw_the_wallet(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=30) as a, httpx.AsyncClient(base_url=sut.b, timeout=30) as b:
        player = await sign_up(a)
        assert await _funded(b, player) == {"coins": STARTING_COINS, "gems": 0}

        responses = await asyncio.gather(*(spin((a, b)[i % 2], player, bet=BET) for i in range(SPINS)))

        settled = [r.json() for r in responses if r.status_code == 200]
        refused = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
        assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
        assert set(refused) <= {"INSUFFICIENT_FUNDS"}
        assert len(settled) >= STARTING_COINS // BET
        coins = (await wallet(b, player))["coins"]
        assert coins >= 0
        assert coins == STARTING_COINS - BET * len(settled) + sum(spin["payout"] for spin in settled)
        if refused:
            assert coins < BET
        entries = await ledger(a, player)
        assert sum(entry["delta"] for entry in entries if entry["currency"] == "coins") == coins
        assert chain_breaks(entries, "coins") == []
        bets = sorted(entry["ref_id"] for entry in entries if entry["reason"] == "slot_bet")
        assert bets == sorted(spin["spin_id"] for spin in settled)
        assert (await get_json(b, "/api/games/slot/stats", player))["play_count"] == len(settled)
