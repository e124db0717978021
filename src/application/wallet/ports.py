"""What the wallet use cases need from the world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.shared.pagination import Page
from src.application.shared.ports import UnitOfWork
from src.domain.wallet.model import Currency, LedgerEntry, Movement, Wager


class WalletRepository(Protocol):
    async def credit(self, movement: Movement, now: datetime) -> LedgerEntry:
        """Add to a balance and write its ledger row; AlreadyApplied if this reference was applied before
        (the unit of work must then be rolled back, not committed)."""
        ...

    async def credit_many(self, movements: Sequence[Movement], now: datetime) -> list[LedgerEntry]:
        """`credit` of each movement in order, in a constant number of statements (a relay pass's credits); a
        movement whose reference was applied before (or earlier in `movements`) is left out, not an error, so one
        redelivered event does not undo the others. AlreadyApplied as for `credit` only when another unit of work
        applies one of the references meanwhile."""
        ...

    async def debit(self, movement: Movement, now: datetime) -> LedgerEntry:
        """Take from a balance only if it covers the amount (decided by the database): InsufficientFunds."""
        ...

    async def settle_wager(self, wager: Wager, now: datetime) -> int:
        """The stake's debit, then the payout's credit (when there is one): one ledger row each; the balance after.
        InsufficientFunds (nothing changed) when the balance does not cover the stake; AlreadyApplied as above."""
        ...

    async def balances(self, user_id: str) -> dict[Currency, int]: ...

    async def entry_for(self, movement: Movement) -> LedgerEntry | None:
        """The ledger row a movement with this reference (ref type and id, currency, reason) wrote, if any."""
        ...

    async def ledger(self, user_id: str, limit: int, before_id: int | None) -> Page[LedgerEntry]: ...


class BalanceReads(Protocol):
    """A player's balances as committed, read apart from any unit of work (the wallet view, read on every screen)."""

    async def balances(self, user_id: str) -> dict[Currency, int]: ...


class InboxRepository(Protocol):
    async def first_time(self, consumer: str, event_id: str) -> bool:
        """Record that `consumer` handled `event_id`; False when it already had (idempotent consumers)."""
        ...

    async def first_events(self, consumer: str, event_ids: Sequence[str], now: datetime) -> set[str]:
        """`first_time` of each event in one write: the ids `consumer` had not handled before."""
        ...


class WalletUnitOfWork(UnitOfWork, Protocol):
    """The wallets in a transaction: all that a use case of any context needs to move money."""

    @property
    def wallets(self) -> WalletRepository: ...


class WalletInboxUnitOfWork(WalletUnitOfWork, Protocol):
    """The wallet's own event consumers also remember which events they handled."""

    @property
    def inbox(self) -> InboxRepository: ...


@dataclass(frozen=True)
class BalancesInUnitOfWork:
    """BalanceReads through a unit of work of its own: for stores without a cheaper standalone read."""

    uow_factory: Callable[[], WalletUnitOfWork]

    async def balances(self, user_id: str) -> dict[Currency, int]:
        async with self.uow_factory() as uow:
            return await uow.wallets.balances(user_id)


@dataclass(frozen=True)
class WalletCheck:
    user_id: str
    currency: str
    balance: int
    ledger_sum: int
    chain_breaks: int

    @property
    def consistent(self) -> bool:
        return self.balance == self.ledger_sum and self.chain_breaks == 0


class LedgerAuditor(Protocol):
    async def wallet_count(self) -> int: ...

    def check_wallets(self, batch_size: int) -> AsyncIterator[list[WalletCheck]]:
        """Every wallet, in batches: its balance, the sum of its ledger, and breaks in its balance_after chain."""
        ...
