"""The wallet's invariants as seen through the API, checked the same way wherever money moved concurrently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import httpx


def chain_breaks(entries: Iterable[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """Ledger rows (oldest first) whose balance_after is not the previous balance_after plus their delta."""
    breaks, balance = [], 0
    for entry in (e for e in entries if e["currency"] == currency):
        if entry["balance_after"] != balance + entry["delta"]:
            breaks.append(entry)
        balance = entry["balance_after"]
    return breaks


def assert_ledger_explains(entries: Sequence[dict[str, Any]], currency: str, balance: int) -> None:
    """Never negative, every row chained from the one before, and the rows sum to the balance."""
    rows = [entry for entry in entries if entry["currency"] == currency]
    assert sum(entry["delta"] for entry in rows) == balance
    assert chain_breaks(rows, currency) == []
    assert min((entry["balance_after"] for entry in rows), default=0) >= 0


SPIN_REASONS = {"slot_bet", "slot_win"}


def assert_spins_conserve_coins(
    responses: Sequence[httpx.Response], coins: int, entries: Sequence[dict[str, Any]], *, start: int, bet: int
) -> list[dict[str, Any]]:
    """After concurrent spins of one player: refusals are only for funds and only once a bet was no longer covered,
    the balance is the start less the settled bets plus their payouts (and plus whatever else the ledger credited
    meanwhile, such as an achievement the spins unlocked), the ledger explains it, and there is one
    bet row per settled spin, no more. Returns the settled spins."""
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code != 200][:3]
    settled = [r.json() for r in responses if r.status_code == 200]
    refused = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
    assert set(refused) <= {"INSUFFICIENT_FUNDS"}
    assert len(settled) >= start // bet
    assert coins >= 0
    # rows other than the spins' own: the starting funds, and whatever else the game paid meanwhile (an
    # achievement that the first spins unlocked pays at unlock, say)
    funding = sum(e["delta"] for e in entries if e["currency"] == "coins" and e["reason"] not in SPIN_REASONS)
    assert funding >= start
    others = funding - start
    assert coins == start + others - bet * len(settled) + sum(spin["payout"] for spin in settled)
    if refused and not others:  # a refusal means the bet was not covered, and nothing pays once below a bet
        assert coins < bet
    assert_ledger_explains(entries, "coins", coins)
    bets = [entry["ref_id"] for entry in entries if entry["currency"] == "coins" and entry["reason"] == "slot_bet"]
    assert sorted(bets) == sorted(spin["spin_id"] for spin in settled)
    return settled
