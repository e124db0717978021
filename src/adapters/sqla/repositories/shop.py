"""SQL repositories of the shop context."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.errors import violated_constraint
from src.adapters.sqla.models.shop import CatalogItemRow, PurchaseTransactionRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.application.shared.idempotency import HeldAnswer
from src.application.shared.pagination import Page, Position
from src.application.shop.transactions import BuyReads, GrantedAtOnce, Spending, TransactionFilters
from src.application.wallet.ports import WalletRepository
from src.domain.shared.events import DomainEvent
from src.domain.shared.principal import Rank
from src.domain.shop.catalog import CatalogItem, SkuTaken
from src.domain.shop.errors import PurchaseKeyTaken
from src.domain.shop.transactions import (
    COUNTED,
    OPEN,
    FailureReason,
    PurchaseKind,
    PurchaseTransaction,
    StatusChange,
    TxStatus,
)
from src.domain.wallet.model import LedgerEntry, Movement


def item_of(row: Any) -> CatalogItem:
    """A catalog row: an ORM entity, or a driver record read by attribute (`Columns`, a prefixed view)."""
    return CatalogItem(
        sku=row.sku,
        name=row.name,
        description=row.description,
        price_cents=row.price_cents,
        currency=row.currency,
        gems=row.gems,
        min_rank=Rank(row.min_rank),
        enabled=row.enabled,
        discount_percent=row.discount_percent,
        discount_ends_at=row.discount_ends_at,
    )


def _values(item: CatalogItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "description": item.description,
        "price_cents": item.price_cents,
        "currency": item.currency,
        "gems": item.gems,
        "min_rank": item.min_rank.value,
        "enabled": item.enabled,
        "discount_percent": item.discount_percent,
        "discount_ends_at": item.discount_ends_at,
    }


class SqlaCatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def list(self) -> list[CatalogItem]:
        statement = select(CatalogItemRow).order_by(CatalogItemRow.price_cents, CatalogItemRow.sku)
        return [item_of(row) for row in (await self._db.execute(statement)).scalars()]

    async def get(self, sku: str) -> CatalogItem | None:
        row = await self._db.get(CatalogItemRow, sku)
        return None if row is None else item_of(row)

    async def add(self, item: CatalogItem, now: datetime) -> None:
        self._db.add(CatalogItemRow(sku=item.sku, created_at=now, updated_at=now, **_values(item)))
        try:
            await self._db.flush()
        except IntegrityError as exc:
            raise SkuTaken from exc

    async def update(self, item: CatalogItem, now: datetime) -> None:
        await self._db.execute(
            update(CatalogItemRow).where(CatalogItemRow.sku == item.sku).values(updated_at=now, **_values(item))
        )


def _history_document(history: list[StatusChange]) -> list[dict[str, Any]]:
    return [{"status": change.status.value, "at": change.at.isoformat(), "reason": change.reason} for change in history]


def _history(document: str | list[dict[str, Any]]) -> list[StatusChange]:
    """The stored history: the ORM decodes the JSON column, the driver hands over its text."""
    entries: list[dict[str, Any]] = json.loads(document) if isinstance(document, str) else document
    return [
        StatusChange(TxStatus(entry["status"]), datetime.fromisoformat(entry["at"]), entry.get("reason"))
        for entry in entries
    ]


def transaction_of(row: Any) -> PurchaseTransaction:
    """A purchase row: an ORM entity, or a driver record read by attribute (`Columns`, a prefixed view)."""
    return PurchaseTransaction(
        id=row.id,
        user_id=row.user_id,
        sku=row.sku,
        kind=PurchaseKind(row.kind),
        quantity=row.quantity,
        amount_cents=row.amount_cents,
        currency=row.currency,
        gems=row.gems,
        card_token_fingerprint=row.card_token_fingerprint,
        promo_code=row.promo_code,
        status=TxStatus(row.status),
        charge_id=row.charge_id,
        failure_reason=None if row.failure_reason is None else FailureReason(row.failure_reason),
        capture_attempts=row.capture_attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        history=_history(row.history),
        gems_granted=row.gems_granted,
        refunded_cents=row.refunded_cents,
        clawed_back_gems=row.clawed_back_gems,
        outstanding_gems=row.outstanding_gems,
        idempotency_key_hash=row.idempotency_key_hash,
    )


def _changing_values(tx: PurchaseTransaction) -> dict[str, Any]:
    """What a transition may change; the rest is fixed when the transaction starts."""
    return {
        "status": tx.status.value,
        "charge_id": tx.charge_id,
        "failure_reason": None if tx.failure_reason is None else tx.failure_reason.value,
        "capture_attempts": tx.capture_attempts,
        "gems_granted": tx.gems_granted,
        "refunded_cents": tx.refunded_cents,
        "clawed_back_gems": tx.clawed_back_gems,
        "outstanding_gems": tx.outstanding_gems,
        "updated_at": tx.updated_at,
        "history": _history_document(tx.history),
    }


_KEY_CONFLICT = {"uq_purchase_transactions_user_key": "purchase_transactions.idempotency_key_hash"}


class SqlaTransactionRepository:
    def __init__(self, session: AsyncSession, wallets: WalletRepository) -> None:
        self._db = session
        self._wallets = wallets

    async def grant_if_unchanged(
        self, tx: PurchaseTransaction, integrity_hash: str, seen_hash: str, grant: Movement, now: datetime
    ) -> LedgerEntry | None:
        """Portable form: the row locked and its hash compared, then the credit and the update
        (`PgTransactionRepository`: one statement)."""
        statement = (
            select(PurchaseTransactionRow.integrity_hash).where(PurchaseTransactionRow.id == tx.id).with_for_update()
        )
        stored = (await self._db.execute(statement)).first()
        if stored is None or stored.integrity_hash != seen_hash:
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
        """Portable form: none (`PgTransactionRepository` has it); the caller grants in the unit of work."""
        return None

    async def buy_reads(self, user_id: str, key_hash: str | None, sku: str) -> BuyReads | None:
        """Portable form: read one by one (`PgTransactionRepository` reads them in one statement)."""
        return None

    async def open_unlimited(self, tx: PurchaseTransaction, integrity_hash: str, events: Sequence[DomainEvent]) -> bool:
        """Portable form: no one-step open (`PgTransactionRepository` has it)."""
        return False

    async def add(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        self._db.add(
            PurchaseTransactionRow(
                id=tx.id,
                user_id=tx.user_id,
                sku=tx.sku,
                kind=tx.kind.value,
                quantity=tx.quantity,
                amount_cents=tx.amount_cents,
                currency=tx.currency,
                gems=tx.gems,
                card_token_fingerprint=tx.card_token_fingerprint,
                promo_code=tx.promo_code,
                created_at=tx.created_at,
                integrity_hash=integrity_hash,
                idempotency_key_hash=tx.idempotency_key_hash,
                **_changing_values(tx),
            )
        )
        try:
            await self._db.flush()
        except IntegrityError as exc:
            if violated_constraint(exc, _KEY_CONFLICT):
                raise PurchaseKeyTaken from exc
            raise

    async def get_by_key(self, user_id: str, key_hash: str) -> PurchaseTransaction | None:
        statement = select(PurchaseTransactionRow).where(
            PurchaseTransactionRow.user_id == user_id, PurchaseTransactionRow.idempotency_key_hash == key_hash
        )
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else transaction_of(row)

    async def get(self, tx_id: str) -> PurchaseTransaction | None:
        row = await self._db.get(PurchaseTransactionRow, tx_id)
        return None if row is None else transaction_of(row)

    async def count(self) -> int:
        return int((await self._db.execute(select(func.count()).select_from(PurchaseTransactionRow))).scalar_one())

    async def spending(self, user_id: str) -> Spending:
        row = PurchaseTransactionRow
        statement = select(func.count(), func.coalesce(func.sum(row.amount_cents - row.refunded_cents), 0)).where(
            row.user_id == user_id, row.status.in_([TxStatus.CAPTURED.value, TxStatus.REFUNDED.value])
        )
        purchases, spent = (await self._db.execute(statement)).one()
        return Spending(int(purchases), int(spent))

    async def spent_since(self, user_id: str, since: datetime) -> list[tuple[datetime, int]]:
        row = PurchaseTransactionRow
        statement = select(row.created_at, row.amount_cents - row.refunded_cents).where(
            row.user_id == user_id, row.created_at > since, row.status.in_([s.value for s in COUNTED])
        )
        return [(created_at, int(cents)) for created_at, cents in await self._db.execute(statement)]

    async def get_for_update(self, tx_id: str) -> PurchaseTransaction | None:
        statement = select(PurchaseTransactionRow).where(PurchaseTransactionRow.id == tx_id).with_for_update()
        statement = statement.execution_options(populate_existing=True)
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else transaction_of(row)

    async def get_by_charge(self, charge_id: str) -> PurchaseTransaction | None:
        statement = select(PurchaseTransactionRow).where(PurchaseTransactionRow.charge_id == charge_id)
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else transaction_of(row)

    async def list_filtered(
        self, filters: TransactionFilters, limit: int, after: Position | None
    ) -> Page[PurchaseTransaction]:
        table = PurchaseTransactionRow
        conditions: list[Any] = []
        if filters.status is not None:
            conditions.append(table.status == filters.status.value)
        if filters.user_id is not None:
            conditions.append(table.user_id == filters.user_id)
        if filters.sku is not None:
            conditions.append(table.sku == filters.sku)
        if filters.created_from is not None:
            conditions.append(table.created_at >= filters.created_from)
        if filters.created_to is not None:
            conditions.append(table.created_at < filters.created_to)
        statement = after_position(select(table).where(*conditions), table.created_at, table.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, transaction_of, lambda row: Position(row.created_at, row.id))

    async def integrity_hashes(self, after_id: str | None, limit: int) -> list[tuple[PurchaseTransaction, str | None]]:
        statement = select(PurchaseTransactionRow).order_by(PurchaseTransactionRow.id).limit(limit)
        if after_id is not None:
            statement = statement.where(PurchaseTransactionRow.id > after_id)
        rows = (await self._db.execute(statement)).scalars().all()
        return [(transaction_of(row), row.integrity_hash) for row in rows]

    async def get_for_user(self, tx_id: str, user_id: str) -> PurchaseTransaction | None:
        transaction = await self.get(tx_id)
        return transaction if transaction is not None and transaction.user_id == user_id else None

    async def update(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        await self._db.execute(
            update(PurchaseTransactionRow)
            .where(PurchaseTransactionRow.id == tx.id)
            .values(integrity_hash=integrity_hash, **_changing_values(tx))
            .execution_options(synchronize_session="fetch")
        )

    async def list_for_user(self, user_id: str, limit: int, after: Position | None) -> Page[PurchaseTransaction]:
        statement = select(PurchaseTransactionRow).where(PurchaseTransactionRow.user_id == user_id)
        statement = after_position(statement, PurchaseTransactionRow.created_at, PurchaseTransactionRow.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, transaction_of, lambda row: Position(row.created_at, row.id))

    async def list_unsettled_before(self, cutoff: datetime, limit: int) -> list[PurchaseTransaction]:
        statement = (
            select(PurchaseTransactionRow)
            .where(
                PurchaseTransactionRow.status.in_(sorted(status.value for status in OPEN)),
                PurchaseTransactionRow.created_at < cutoff,
            )
            .order_by(PurchaseTransactionRow.created_at, PurchaseTransactionRow.id)
            .limit(limit)
        )
        return [transaction_of(row) for row in (await self._db.execute(statement)).scalars()]

    async def count_attempts_since(self, user_id: str, since: datetime) -> int:
        statement = select(func.count()).where(
            PurchaseTransactionRow.user_id == user_id, PurchaseTransactionRow.created_at >= since
        )
        return int((await self._db.execute(statement)).scalar_one())
