"""In-memory wallet and inbox: the unit-test twins of the SQL ones, over one unit of work's tables.

A balance change locks the wallet row until the unit of work ends and reads it as last committed, as the
SQL statements do: overlapping changes of one wallet queue, so no debit takes a balance below zero, and a
rollback never leaves another unit of work's ledger row describing a balance that did not happen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.application.shared.pagination import Page
from src.domain.wallet.errors import AlreadyApplied, InsufficientFunds
from src.domain.wallet.model import Currency, LedgerEntry, Movement, Wager, first_of_each_reference

WalletKey = tuple[str, Currency]  # (user_id, currency)
Reference = tuple[str, str, Currency, str]  # (ref_type, ref_id, currency, reason): unique like the SQL index


@dataclass
class WalletTables:
    balances: dict[WalletKey, int] = field(default_factory=dict)
    ledger: dict[int, LedgerEntry] = field(default_factory=dict)
    references: dict[Reference, int] = field(default_factory=dict)  # → ledger entry id
    processed: dict[tuple[str, str], bool] = field(default_factory=dict)  # inbox: (consumer, event_id)


def _reference(movement: Movement) -> Reference | None:
    if movement.ref_type is None or movement.ref_id is None:
        return None  # NULLs are distinct in a unique index
    return movement.ref_type, movement.ref_id, movement.currency, movement.reason


class InMemoryWalletRepository:
    """`next_entry_id` is the store's sequence; taken while the wallet is locked, ids follow commit order."""

    def __init__(self, workspace: Workspace[WalletTables], next_entry_id: Callable[[], int]) -> None:
        self._workspace = workspace
        self._next_entry_id = next_entry_id

    async def credit(self, movement: Movement, now: datetime) -> LedgerEntry:
        key = (movement.user_id, movement.currency)
        await self._workspace.lock_row("balances", key)
        await self._check_unapplied(movement)
        balance = self._workspace.working.balances.get(key, 0) + movement.amount
        return self._apply(movement, movement.amount, balance, now)

    async def credit_many(self, movements: Sequence[Movement], now: datetime) -> list[LedgerEntry]:
        entries = []
        for movement in first_of_each_reference(movements):
            try:
                entries.append(await self.credit(movement, now))
            except AlreadyApplied:  # raised before anything changed: the others go on
                continue
        return entries

    async def debit(self, movement: Movement, now: datetime) -> LedgerEntry:
        """Like `UPDATE … WHERE balance >= :amount`: a row whose committed balance falls short is refused at
        once; one that covers it is locked (waiting for any other writer) and checked again as it is then."""
        key = (movement.user_id, movement.currency)
        if not self._workspace.holds("balances", key):
            self._check_covers(self._workspace.committed.balances.get(key), movement)
        await self._workspace.lock_row("balances", key)
        balance = self._check_covers(self._workspace.working.balances.get(key), movement)
        await self._check_unapplied(movement)
        return self._apply(movement, -movement.amount, balance - movement.amount, now)

    async def settle_wager(self, wager: Wager, now: datetime) -> int:
        entry = await self.debit(wager.stake, now)
        if (payout := wager.payout_movement()) is not None:
            entry = await self.credit(payout, now)
        return entry.balance_after

    @staticmethod
    def _check_covers(balance: int | None, movement: Movement) -> int:
        if balance is None or balance < movement.amount:
            raise InsufficientFunds(movement.currency.value, movement.amount)
        return balance

    async def _check_unapplied(self, movement: Movement) -> None:
        """A reference another unit of work is applying waits for it, as a unique index makes an insert wait."""
        reference = _reference(movement)
        if reference is None:
            return
        await self._workspace.lock_row("references", reference)
        if reference in self._workspace.working.references:
            raise AlreadyApplied

    def _apply(self, movement: Movement, delta: int, balance: int, now: datetime) -> LedgerEntry:
        entry_id = self._next_entry_id()
        entry = LedgerEntry(
            id=str(entry_id),
            user_id=movement.user_id,
            currency=movement.currency,
            delta=delta,
            balance_after=balance,
            reason=movement.reason,
            ref_type=movement.ref_type,
            ref_id=movement.ref_id,
            created_at=now,
        )
        tables = self._workspace.working
        tables.balances[(movement.user_id, movement.currency)] = balance
        tables.ledger[entry_id] = entry
        if (reference := _reference(movement)) is not None:
            tables.references[reference] = entry_id
        return entry

    async def balances(self, user_id: str) -> dict[Currency, int]:
        return {
            currency: balance
            for (owner, currency), balance in self._workspace.working.balances.items()
            if owner == user_id
        }

    async def entry_for(self, movement: Movement) -> LedgerEntry | None:
        reference = _reference(movement)
        entry_id = None if reference is None else self._workspace.working.references.get(reference)
        return None if entry_id is None else self._workspace.working.ledger[entry_id]

    async def ledger(self, user_id: str, limit: int, before_id: int | None) -> Page[LedgerEntry]:
        """Newest first by id; the cursor is the id of the last entry served."""
        ids = sorted(
            (entry_id for entry_id, entry in self._workspace.working.ledger.items() if entry.user_id == user_id),
            reverse=True,
        )
        if before_id is not None:
            ids = [entry_id for entry_id in ids if entry_id < before_id]
        entries = [self._workspace.working.ledger[entry_id] for entry_id in ids[:limit]]
        return Page(entries, entries[-1].id if len(ids) > limit and entries else None)


class InMemoryInboxRepository:
    def __init__(self, workspace: Workspace[WalletTables]) -> None:
        self._workspace = workspace

    async def first_time(self, consumer: str, event_id: str) -> bool:
        key = (consumer, event_id)
        await self._workspace.lock_row("processed", key)  # a delivery in flight elsewhere decides first
        if key in self._workspace.working.processed:
            return False
        self._workspace.working.processed[key] = True
        return True

    async def first_events(self, consumer: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        return {event_id for event_id in sorted(set(event_ids)) if await self.first_time(consumer, event_id)}
