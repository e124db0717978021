"""Balances in two in-game currencies and the ledger that explains every change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from src.domain.shared.errors import InvalidInput


class Currency(StrEnum):
    COINS = "coins"
    GEMS = "gems"


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    user_id: str
    currency: Currency
    delta: int
    balance_after: int
    reason: str
    ref_type: str | None
    ref_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Movement:
    """One intended change of one balance; the ledger row is written with it or not at all."""

    user_id: str
    currency: Currency
    amount: int
    reason: str
    ref_type: str | None = None
    ref_id: str | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidInput("amount must be a positive integer", details={"fields": [{"key": "amount"}]})


def first_of_each_reference(movements: Sequence[Movement]) -> list[Movement]:
    """The movements without a repeat of an earlier one's reference (a reference is applied once); in order."""
    seen: set[tuple[str, str, Currency, str]] = set()
    kept = []
    for movement in movements:
        if movement.ref_type is not None and movement.ref_id is not None:
            reference = (movement.ref_type, movement.ref_id, movement.currency, movement.reason)
            if reference in seen:
                continue
            seen.add(reference)
        kept.append(movement)
    return kept


@dataclass(frozen=True)
class Wager:
    """A stake, taken only if the balance covers it, and its payout (0: none) on the same wallet and reference."""

    stake: Movement
    payout: int
    payout_reason: str

    def __post_init__(self) -> None:
        if self.payout < 0:
            raise InvalidInput("payout must not be negative", details={"fields": [{"key": "payout"}]})

    def payout_movement(self) -> Movement | None:
        if not self.payout:
            return None
        stake = self.stake
        return Movement(stake.user_id, stake.currency, self.payout, self.payout_reason, stake.ref_type, stake.ref_id)


def balances_of(entries: dict[Currency, int]) -> dict[str, int]:
    return {currency.value: entries.get(currency, 0) for currency in Currency}
