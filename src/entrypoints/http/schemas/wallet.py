"""Wire formats of the wallet routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from src.application.engagement.rewards import GrantedReward
from src.domain.engagement.rewards import MAX_CURRENCY_AMOUNT, MAX_SOURCE_LENGTH
from src.domain.wallet.model import Currency, LedgerEntry
from src.entrypoints.http.schemas.identity import Struct


class WalletOut(Struct):
    coins: int
    gems: int

    @classmethod
    def of(cls, balances: dict[str, int]) -> WalletOut:
        return cls(coins=balances.get("coins", 0), gems=balances.get("gems", 0))


class LedgerEntryOut(Struct):
    id: str
    currency: str
    delta: int
    balance_after: int
    reason: str
    ref_type: str | None
    ref_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            id=entry.id,
            currency=entry.currency.value,
            delta=entry.delta,
            balance_after=entry.balance_after,
            reason=entry.reason,
            ref_type=entry.ref_type,
            ref_id=entry.ref_id,
            created_at=entry.created_at,
        )


class GrantIn(Struct):
    currency: Currency
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_CURRENCY_AMOUNT)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_LENGTH, pattern=r"\S")]  # not blank
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class GrantOut(Struct):
    user_id: str
    currency: str
    amount: int
    balance_after: int
    ledger_entry_id: str
    balances: WalletOut

    @classmethod
    def of(cls, granted: GrantedReward) -> GrantOut:
        entry = granted.entry
        if entry is None:
            raise ValueError("a currency grant has a ledger entry")
        return cls(
            user_id=entry.user_id,
            currency=entry.currency.value,
            amount=entry.delta,
            balance_after=entry.balance_after,
            ledger_entry_id=entry.id,
            balances=WalletOut.of(granted.balances),
        )
