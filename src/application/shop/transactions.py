"""The purchase transaction port: what the purchase, webhook and stale-void use cases need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.shared.idempotency import HeldAnswer
from src.application.shared.pagination import Page, Position
from src.domain.identity.model import User
from src.domain.shared.events import DomainEvent
from src.domain.shop.catalog import CatalogItem
from src.domain.shop.transactions import PurchaseTransaction, TxStatus
from src.domain.wallet.model import LedgerEntry, Movement


@dataclass(frozen=True)
class TransactionFilters:
    status: TxStatus | None = None
    user_id: str | None = None
    sku: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class Spending:
    """A player's completed purchases: captured ones, and refunded ones (which were paid once)."""

    purchases: int = 0
    total_spent_cents: int = 0  # what was charged, less what was refunded


@dataclass(frozen=True)
class BuyReads:
    """What a catalog buy reads before it opens, read at one moment: the purchase its key opened already (if any),
    the buyer and the catalog item (None where there is none)."""

    earlier: PurchaseTransaction | None
    buyer: User | None
    item: CatalogItem | None


@dataclass(frozen=True)
class GrantedAtOnce:
    entry: LedgerEntry
    answered: bool  # the held answer was stored on the request's own claim with the grant


class PurchaseMoved(Exception):
    """The stored purchase is no longer the state a settlement at once was computed from (a webhook, the capture
    job or a sweep moved it): nothing was written; settle it the locked way."""


class TransactionRepository(Protocol):
    async def add(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        """PurchaseKeyTaken when the user's idempotency key hash already names a transaction (waits for a
        concurrent unit of work that added one with the same key, then refuses if it committed)."""
        ...

    async def open_unlimited(self, tx: PurchaseTransaction, integrity_hash: str, events: Sequence[DomainEvent]) -> bool:
        """A new purchase with nothing to reserve, opened in one step where the store can: with the buyer's limits
        locked, `tx` added and `events` written with it, only if the limits cannot refuse any purchase (no
        restriction, purchase limit or pending change). True: written, the unit of work has only to commit.
        False: nothing written (stores without the step always answer so); open it the checked way. Raises
        PurchaseKeyTaken as `add` does."""
        ...

    async def buy_reads(self, user_id: str, key_hash: str | None, sku: str) -> BuyReads | None:
        """A catalog buy's first reads in one step where the store can (the unit's first statement); None (stores
        without the step) when the caller reads them one by one: `get_by_key`, `users.get`, `catalog.get`."""
        ...

    async def get_by_key(self, user_id: str, key_hash: str) -> PurchaseTransaction | None:
        """The purchase the user's idempotency key (its hash) opened, if any."""
        ...

    async def integrity_hashes(self, after_id: str | None, limit: int) -> list[tuple[PurchaseTransaction, str | None]]:
        """Every transaction with its stored integrity hash, by id (verify-transactions walks them in batches)."""
        ...

    async def count(self) -> int: ...

    async def get(self, tx_id: str) -> PurchaseTransaction | None: ...

    async def get_for_update(self, tx_id: str) -> PurchaseTransaction | None:
        """The transaction, locked until the unit of work ends (settlements of one transaction queue)."""
        ...

    async def get_by_charge(self, charge_id: str) -> PurchaseTransaction | None:
        """The transaction the gateway charge belongs to (webhooks name charges, not transactions)."""
        ...

    async def list_filtered(
        self, filters: TransactionFilters, limit: int, after: Position | None
    ) -> Page[PurchaseTransaction]:
        """Admin listing, newest first by (created_at, id)."""
        ...

    async def get_for_user(self, tx_id: str, user_id: str) -> PurchaseTransaction | None:
        """None when the transaction is unknown or belongs to another user."""
        ...

    async def update(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        """Stores the mutable state: status, charge, failure reason, counters, amounts, updated_at, history and
        the integrity hash of that state."""
        ...

    async def grant_if_unchanged(
        self, tx: PurchaseTransaction, integrity_hash: str, seen_hash: str, grant: Movement, now: datetime
    ) -> LedgerEntry | None:
        """Store `tx`'s new state (as `update`) and credit `grant` through the wallet, both only if the stored
        transaction is still the state whose integrity hash is `seen_hash` (the caller did not lock it: it wrote that
        state itself); None, with nothing written, when it changed meanwhile. A concurrent change is waited for and
        then decides. Raises AlreadyApplied as a credit does."""
        ...

    async def grant_at_once(
        self,
        tx: PurchaseTransaction,
        integrity_hash: str,
        seen_hash: str,
        grant: Movement,
        now: datetime,
        events: Sequence[DomainEvent],
        answer: HeldAnswer | None = None,
    ) -> GrantedAtOnce | None:
        """On a store that can, with no transaction begun in the unit of work: `grant_if_unchanged`, the outbox rows
        of `events`, `answer` (the buy's Idempotency-Key completed, its number the balance after) and the commit as
        one atomic write (a BalanceChanged of the grant's wallet among `events` is stored with the balance after;
        its own `balance_after` is not used). PurchaseMoved when the stored purchase is no longer `seen_hash`
        (nothing written); AlreadyApplied as a credit. None, with nothing written, where the store cannot: then
        `grant_if_unchanged`, record the events and commit as usual."""
        ...

    async def list_for_user(self, user_id: str, limit: int, after: Position | None) -> Page[PurchaseTransaction]:
        """Newest first by (created_at, id)."""
        ...

    async def list_unsettled_before(self, cutoff: datetime, limit: int) -> list[PurchaseTransaction]:
        """Pending or authorized transactions created before `cutoff`, oldest first (the stale auto-void job)."""
        ...

    async def spending(self, user_id: str) -> Spending: ...

    async def spent_since(self, user_id: str, since: datetime) -> list[tuple[datetime, int]]:
        """(created_at, cents) of the user's purchases since `since` that are in flight or paid (less refunds):
        what the purchase limits count."""
        ...

    async def count_attempts_since(self, user_id: str, since: datetime) -> int:
        """How many transactions the user started at or after `since`, whatever became of them."""
        ...
