"""In-memory shop tables and repositories (unit-test fakes; same contract as the SQL ones)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import Workspace, newest_first_page
from src.application.shared.idempotency import HeldAnswer
from src.application.shared.pagination import Page, Position
from src.application.shop.transactions import BuyReads, GrantedAtOnce, Spending, TransactionFilters
from src.application.wallet.ports import WalletRepository
from src.domain.shared.events import DomainEvent
from src.domain.shop.catalog import CatalogItem, SkuTaken
from src.domain.shop.errors import PurchaseKeyTaken
from src.domain.shop.transactions import COUNTED, OPEN, PurchaseTransaction, TxStatus
from src.domain.wallet.model import LedgerEntry, Movement


@dataclass
class ShopTables:
    catalog: dict[str, CatalogItem] = field(default_factory=dict)
    transactions: dict[str, PurchaseTransaction] = field(default_factory=dict)
    integrity_hashes: dict[str, str | None] = field(default_factory=dict)


def _with_key(transactions: Iterable[PurchaseTransaction], user_id: str, key_hash: str) -> PurchaseTransaction | None:
    return next((tx for tx in transactions if tx.user_id == user_id and tx.idempotency_key_hash == key_hash), None)


class InMemoryCatalogRepository:
    def __init__(self, workspace: Workspace[ShopTables]) -> None:
        self._workspace = workspace

    async def list(self) -> list[CatalogItem]:
        return sorted(self._workspace.working.catalog.values(), key=lambda item: (item.price_cents, item.sku))

    async def get(self, sku: str) -> CatalogItem | None:
        return deepcopy(self._workspace.working.catalog.get(sku))

    async def add(self, item: CatalogItem, now: datetime) -> None:
        await self._workspace.lock_row("catalog", item.sku)
        if item.sku in self._workspace.working.catalog or item.sku in self._workspace.committed.catalog:
            raise SkuTaken
        self._workspace.working.catalog[item.sku] = deepcopy(item)

    async def update(self, item: CatalogItem, now: datetime) -> None:
        if item.sku in self._workspace.working.catalog:
            await self._workspace.lock_row("catalog", item.sku)
            self._workspace.working.catalog[item.sku] = deepcopy(item)


class InMemoryTransactionRepository:
    def __init__(self, workspace: Workspace[ShopTables], wallets: WalletRepository) -> None:
        self._workspace = workspace
        self._wallets = wallets

    async def grant_if_unchanged(
        self, tx: PurchaseTransaction, integrity_hash: str, seen_hash: str, grant: Movement, now: datetime
    ) -> LedgerEntry | None:
        workspace = self._workspace
        await workspace.lock_row("transactions", tx.id)  # refreshes the row, not its hash: read that as committed
        if tx.id not in workspace.working.transactions:
            return None
        written_here = workspace.working.integrity_hashes.get(tx.id) != workspace.baseline.integrity_hashes.get(tx.id)
        hashes = workspace.working.integrity_hashes if written_here else workspace.committed.integrity_hashes
        if hashes.get(tx.id) != seen_hash:
            return None
        entry = await self._wallets.credit(grant, now)
        await self.update(tx, integrity_hash)
        return entry

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
        """No settlement at once here: the caller grants in the unit of work."""
        return None

    async def buy_reads(self, user_id: str, key_hash: str | None, sku: str) -> BuyReads | None:
        """Read one by one here."""
        return None

    async def open_unlimited(self, tx: PurchaseTransaction, integrity_hash: str, events: Sequence[DomainEvent]) -> bool:
        """No one-step open here: the caller opens it the checked way."""
        return False

    async def add(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        await self._workspace.lock_row("transactions", tx.id)
        if tx.id in self._workspace.working.transactions:
            raise ValueError(f"transaction {tx.id} exists")  # a primary key violation in SQL
        if tx.idempotency_key_hash is not None:
            # the unique (user, key hash) index: a second adder waits for the first unit of work, as in SQL
            await self._workspace.lock_row("transactions", ("key", tx.user_id, tx.idempotency_key_hash))
            visible = {**self._workspace.committed.transactions, **self._workspace.working.transactions}
            if _with_key(visible.values(), tx.user_id, tx.idempotency_key_hash) is not None:
                raise PurchaseKeyTaken
        self._workspace.working.transactions[tx.id] = deepcopy(tx)
        self._workspace.working.integrity_hashes[tx.id] = integrity_hash

    async def get_by_key(self, user_id: str, key_hash: str) -> PurchaseTransaction | None:
        return deepcopy(_with_key(self._workspace.working.transactions.values(), user_id, key_hash))

    async def count(self) -> int:
        return len(self._workspace.working.transactions)

    async def spending(self, user_id: str) -> Spending:
        paid = (TxStatus.CAPTURED, TxStatus.REFUNDED)
        done = [
            tx for tx in self._workspace.working.transactions.values() if tx.user_id == user_id and tx.status in paid
        ]
        return Spending(len(done), sum(tx.amount_cents - tx.refunded_cents for tx in done))

    async def get_for_update(self, tx_id: str) -> PurchaseTransaction | None:
        await self._workspace.lock_row("transactions", tx_id)
        return await self.get(tx_id)

    async def get_by_charge(self, charge_id: str) -> PurchaseTransaction | None:
        found = [tx for tx in self._workspace.working.transactions.values() if tx.charge_id == charge_id]
        return deepcopy(found[0]) if found else None

    async def list_filtered(
        self, filters: TransactionFilters, limit: int, after: Position | None
    ) -> Page[PurchaseTransaction]:
        matching = [tx for tx in self._workspace.working.transactions.values() if _matches(tx, filters)]
        return newest_first_page(matching, lambda tx: (tx.created_at, tx.id), limit, after)

    async def integrity_hashes(self, after_id: str | None, limit: int) -> list[tuple[PurchaseTransaction, str | None]]:
        working = self._workspace.working
        ids = sorted(tx_id for tx_id in working.transactions if after_id is None or tx_id > after_id)[:limit]
        return [(deepcopy(working.transactions[tx_id]), working.integrity_hashes.get(tx_id)) for tx_id in ids]

    async def get(self, tx_id: str) -> PurchaseTransaction | None:
        return deepcopy(self._workspace.working.transactions.get(tx_id))

    async def get_for_user(self, tx_id: str, user_id: str) -> PurchaseTransaction | None:
        transaction = self._workspace.working.transactions.get(tx_id)
        return deepcopy(transaction) if transaction is not None and transaction.user_id == user_id else None

    async def update(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        await self._workspace.lock_row("transactions", tx.id)
        stored = self._workspace.working.transactions.get(tx.id)
        if stored is None:
            return
        self._workspace.working.integrity_hashes[tx.id] = integrity_hash
        # only the state a transition changes; what was fixed at the start stays as stored
        self._workspace.working.transactions[tx.id] = replace(
            stored,
            status=tx.status,
            charge_id=tx.charge_id,
            failure_reason=tx.failure_reason,
            capture_attempts=tx.capture_attempts,
            gems_granted=tx.gems_granted,
            refunded_cents=tx.refunded_cents,
            clawed_back_gems=tx.clawed_back_gems,
            outstanding_gems=tx.outstanding_gems,
            updated_at=tx.updated_at,
            history=deepcopy(tx.history),
        )

    async def spent_since(self, user_id: str, since: datetime) -> list[tuple[datetime, int]]:
        """Committed purchases too (called with the buyer's limits locked, after any snapshot of this table)."""
        visible = {**self._workspace.committed.transactions, **self._workspace.working.transactions}
        return [
            (tx.created_at, tx.amount_cents - tx.refunded_cents)
            for tx in visible.values()
            if tx.user_id == user_id and tx.created_at > since and tx.status in COUNTED
        ]

    async def list_for_user(self, user_id: str, limit: int, after: Position | None) -> Page[PurchaseTransaction]:
        mine = [tx for tx in self._workspace.working.transactions.values() if tx.user_id == user_id]
        return newest_first_page(mine, lambda tx: (tx.created_at, tx.id), limit, after)

    async def list_unsettled_before(self, cutoff: datetime, limit: int) -> list[PurchaseTransaction]:
        stale = [
            tx for tx in self._workspace.working.transactions.values() if tx.status in OPEN and tx.created_at < cutoff
        ]
        return deepcopy(sorted(stale, key=lambda tx: (tx.created_at, tx.id))[:limit])

    async def count_attempts_since(self, user_id: str, since: datetime) -> int:
        return sum(
            1
            for tx in self._workspace.working.transactions.values()
            if tx.user_id == user_id and tx.created_at >= since
        )


def _matches(tx: PurchaseTransaction, filters: TransactionFilters) -> bool:
    return (
        (filters.status is None or tx.status is filters.status)
        and (filters.user_id is None or tx.user_id == filters.user_id)
        and (filters.sku is None or tx.sku == filters.sku)
        and (filters.created_from is None or tx.created_at >= filters.created_from)
        and (filters.created_to is None or tx.created_at < filters.created_to)
    )
