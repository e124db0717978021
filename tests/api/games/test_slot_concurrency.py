"""Acceptance: many simultaneous spins by one player never overdraw the wallet or break the ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.games.helpers import chain_breaks, ledger, spin, wallet

SPINS, BET, STARTING_COINS = 64, 100, 1000


async def test_64_concurrent_spins_settle_exactly_once_each_and_never_overdraw(
    client: Any, player: dict[str, Any]
) -> None:
    responses = await asyncio.gather(*(spin(client, player, bet=BET) for _ in range(SPINS)))

    settled = [r.json() for r in responses if r.status_code == 200]
    refused = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
    assert set(refused) <= {"INSUFFICIENT_FUNDS"}, [r.text for r in responses if r.status_code != 200][:3]
    assert {r.status_code for r in responses} <= {200, 409}
    assert len(settled) >= STARTING_COINS // BET
    coins = (await wallet(client, player))["coins"]
    assert coins >= 0
    assert coins == STARTING_COINS - BET * len(settled) + sum(spin["payout"] for spin in settled)
    if refused:  # a refusal means the bet was not covered, and nothing pays once the balance is below a bet
        assert coins < BET
    entries = await ledger(client, player)
    coin_entries = [entry for entry in entries if entry["currency"] == "coins"]
    assert sum(entry["delta"] for entry in coin_entries) == coins
    assert chain_breaks(entries, "coins") == []
    assert min(entry["balance_after"] for entry in coin_entries) >= 0
    bets = [entry for entry in coin_entries if entry["reason"] == "slot_bet"]
    assert sorted(entry["ref_id"] for entry in bets) == sorted(spin["spin_id"] for spin in settled)
    last_by_spin = {entry["ref_id"]: entry["balance_after"] for entry in coin_entries}
    assert all(last_by_spin[spin["spin_id"]] == spin["balance_after"] for spin in settled)
