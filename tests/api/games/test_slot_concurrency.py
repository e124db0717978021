"""Acceptance: many simultaneous spins by one player never overdraw the wallet or break the ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.games.helpers import ledger, spin, wallet
from tests.support.wallet import assert_spins_conserve_coins

SPINS, BET, STARTING_COINS = 64, 100, 1000


async def test_64_concurrent_spins_settle_exactly_once_each_and_never_overdraw(
    client: Any, player: dict[str, Any]
) -> None:
    responses = await asyncio.gather(*(spin(client, player, bet=BET) for _ in range(SPINS)))

    coins = (await wallet(client, player))["coins"]
    entries = await ledger(client, player)
    settled = assert_spins_conserve_coins(responses, coins, entries, start=STARTING_COINS, bet=BET)
    coin_entries = [entry for entry in entries if entry["currency"] == "coins"]
    last_by_spin = {entry["ref_id"]: entry["balance_after"] for entry in coin_entries}
    assert all(last_by_spin[spin["spin_id"]] == spin["balance_after"] for spin in settled)
