"""Two app processes on one PostgreSQL database and one Redis namespace: spins on both share one wallet safely."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest

from tests.api.games.helpers import get_json, ledger, spin, wallet
from tests.support.api import sign_up
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import two_instances
from tests.support.wallet import assert_spins_conserve_coins

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


async def _at_rest(a: httpx.AsyncClient, b: httpx.AsyncClient, player: dict[str, Any]) -> tuple[int, list[Any]]:
    """The balance and the ledger it is the sum of: what a spin unlocks (an achievement's prize) is credited by
    the relay after the spins have answered, so one read is kept only when the ledger did not move around it."""
    async with asyncio.timeout(FUNDED_TIMEOUT_SECONDS):
        entries = await ledger(a, player)
        while True:
            coins = (await wallet(b, player))["coins"]
            entries, before = await ledger(a, player), entries
            if entries == before:
                return coins, entries


async def test_64_concurrent_spins_on_two_instances_never_overdraw_the_wallet(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=30) as a, httpx.AsyncClient(base_url=sut.b, timeout=30) as b:
        player = await sign_up(a)
        assert await _funded(b, player) == {"coins": STARTING_COINS, "gems": 0}

        responses = await asyncio.gather(*(spin((a, b)[i % 2], player, bet=BET) for i in range(SPINS)))

        coins, entries = await _at_rest(a, b, player)
        settled = assert_spins_conserve_coins(responses, coins, entries, start=STARTING_COINS, bet=BET)
        assert (await get_json(b, "/api/games/slot/stats", player))["play_count"] == len(settled)
