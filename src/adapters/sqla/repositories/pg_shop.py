"""The buy's hot statements on PostgreSQL, straight to the driver (SQLAlchemy's ORM cost more than the queries).

A buy reads its key's earlier purchase and the catalog item, opens the purchase (insert), then locks and updates it
as it settles: each of these is one driver statement here, on the unit of work's connection and in its transaction
(`driver_execute`; a read before any write sends no BEGIN: `driver_fetch`). The rows are read and written with the
same columns and meaning as `SqlaTransactionRepository`, whose other queries (lists, sums, the audit) stay as they
are. The identity map is not involved: these rows are never loaded as ORM objects by this repository.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_execute, driver_fetch, stands_alone
from src.adapters.sqla.pg_outbox import (
    PER_EVENT,
    balance_columns,
    event_parameters,
    outbox_cte,
    outbox_with_balance_cte,
)
from src.adapters.sqla.repositories.idempotency import held_completion_cte, held_completion_parameters
from src.adapters.sqla.repositories.pg_identity import USER_COLUMNS, user_of
from src.adapters.sqla.repositories.pg_limits import locked_limits_cte
from src.adapters.sqla.repositories.pg_wallet import GUARD_FIRST_PARAMETER, Guard, PgWalletRepository, Rider
from src.adapters.sqla.repositories.shop import (
    SqlaCatalogRepository,
    SqlaTransactionRepository,
    _changing_values,
    item_of,
    transaction_of,
)
from src.application.shared.idempotency import HeldAnswer
from src.application.shop.transactions import BuyReads, GrantedAtOnce, PurchaseMoved
from src.domain.shared.events import DomainEvent
from src.domain.shop.catalog import CatalogItem
from src.domain.shop.errors import PurchaseKeyTaken
from src.domain.shop.transactions import PurchaseTransaction
from src.domain.wallet.events import BalanceChanged
from src.domain.wallet.model import LedgerEntry, Movement

_COLUMNS = (
    "id, user_id, sku, kind, quantity, amount_cents, currency, gems, card_token_fingerprint, promo_code, status, "
    "charge_id, failure_reason, capture_attempts, gems_granted, refunded_cents, clawed_back_gems, outstanding_gems, "
    "history, idempotency_key_hash, created_at, updated_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM purchase_transactions"  # noqa: S608 - a constant column list
_BY_ID = f"{_SELECT} WHERE id = $1"
_BY_KEY = f"{_SELECT} WHERE user_id = $1 AND idempotency_key_hash = $2"
_BY_CHARGE = f"{_SELECT} WHERE charge_id = $1"
_FOR_UPDATE = f"{_BY_ID} FOR UPDATE"
_INSERT = f"""
INSERT INTO purchase_transactions ({_COLUMNS}, integrity_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20, $21, $22, $23)
"""  # noqa: S608 - a constant column list
_UPDATE = """
UPDATE purchase_transactions SET status = $2, charge_id = $3, failure_reason = $4, capture_attempts = $5,
    gems_granted = $6, refunded_cents = $7, clawed_back_gems = $8, outstanding_gems = $9, updated_at = $10,
    history = $11::jsonb, integrity_hash = $12
WHERE id = $1
"""
_ITEM_COLUMNS = (
    "sku",
    "name",
    "description",
    "price_cents",
    "currency",
    "gems",
    "min_rank",
    "enabled",
    "discount_percent",
    "discount_ends_at",
)
_CATALOG_ITEM = f"SELECT {', '.join(_ITEM_COLUMNS)} FROM catalog_items WHERE sku = $1"  # noqa: S608 - constant


def _prefixed(alias: str, columns: Sequence[str]) -> str:
    return ", ".join(f"{alias}.{column} AS {alias}_{column}" for column in columns)


# a catalog buy's reads in one statement: $1 user, $2 key hash (NULL: none), $3 sku; each part at most one row (the
# key's unique index, two primary keys), a missing one all NULL
_BUY_READS = f"""
SELECT {_prefixed("t", _COLUMNS.split(", "))}, {_prefixed("u", USER_COLUMNS)}, {_prefixed("c", _ITEM_COLUMNS)}
FROM (VALUES (1)) AS one
LEFT JOIN purchase_transactions AS t ON t.user_id = $1 AND t.idempotency_key_hash = $2
LEFT JOIN users AS u ON u.id = $1
LEFT JOIN catalog_items AS c ON c.sku = $3
"""  # noqa: S608 - constant column lists


class _Prefixed:
    """One part of a joined row, read by its own column names (by key or attribute) as the row mappers do."""

    __slots__ = ("_prefix", "_record")

    def __init__(self, record: asyncpg.Record, prefix: str) -> None:
        self._record, self._prefix = record, prefix

    def __getitem__(self, name: str) -> Any:
        return self._record[self._prefix + name]

    def __getattr__(self, name: str) -> Any:
        return self._record[self._prefix + name]


_KEY_CONSTRAINT = "uq_purchase_transactions_user_key"
_VALUES = ", ".join(f"${n}::jsonb" if n == 19 else f"${n}" for n in range(1, 24))
_PER_PURCHASE = 23  # parameters of a purchase's row, in `_COLUMNS` order and then its integrity hash


@cache
def _open_unlimited(events: int) -> str:
    """The buyer's limits locked (pg_limits), the purchase inserted only if they cannot refuse it, its events only
    with it: one statement. Answers one row, `opened`."""
    return f"""
WITH {locked_limits_cte("$2")}, purchase AS (
    INSERT INTO purchase_transactions ({_COLUMNS}, integrity_hash)
    SELECT {_VALUES} FROM limits WHERE limits.unlimited
    RETURNING id
), {outbox_cte(_PER_PURCHASE + 1, events, "purchase")}
SELECT count(*) AS opened FROM purchase
"""  # noqa: S608 - constant column lists and numbered placeholders


def _one(rows: Sequence[asyncpg.Record]) -> PurchaseTransaction | None:
    return transaction_of(Columns(rows[0])) if rows else None


def _changing(tx: PurchaseTransaction) -> tuple[Any, ...]:
    values = _changing_values(tx)
    return (
        values["status"],
        values["charge_id"],
        values["failure_reason"],
        values["capture_attempts"],
        values["gems_granted"],
        values["refunded_cents"],
        values["clawed_back_gems"],
        values["outstanding_gems"],
        values["updated_at"],
        json.dumps(values["history"]),
    )


def _row(tx: PurchaseTransaction, integrity_hash: str | None) -> tuple[Any, ...]:
    """A new purchase's parameters: `_COLUMNS` in order, then its integrity hash."""
    status, charge_id, failure, attempts, granted, refunded, clawed, outstanding, updated_at, history = _changing(tx)
    return (
        tx.id,
        tx.user_id,
        tx.sku,
        tx.kind.value,
        tx.quantity,
        tx.amount_cents,
        tx.currency,
        tx.gems,
        tx.card_token_fingerprint,
        tx.promo_code,
        status,
        charge_id,
        failure,
        attempts,
        granted,
        refunded,
        clawed,
        outstanding,
        history,
        tx.idempotency_key_hash,
        tx.created_at,
        updated_at,
        integrity_hash,
    )


# the purchase's new state, written only over the state the caller saw (its integrity hash): a credit's guard
# (pg_wallet) — $8 status … $17 history, $18 the new hash, $19 id, $20 the hash seen
_UNCHANGED_UPDATE = """guard AS (
    UPDATE purchase_transactions SET status = $8, charge_id = $9, failure_reason = $10, capture_attempts = $11,
        gems_granted = $12, refunded_cents = $13, clawed_back_gems = $14, outstanding_gems = $15, updated_at = $16,
        history = $17::jsonb, integrity_hash = $18
    WHERE id = $19 AND integrity_hash = $20
    RETURNING id
)"""
_UNCHANGED_PARAMETERS = 13  # $8 … $20
# a grant at once: its events after the guard's parameters, written with the wallet's row (pg_outbox), then the
# buy's Idempotency-Key completed with its answer (idempotency's held completion)
_GRANT_OUTBOX_FIRST = GUARD_FIRST_PARAMETER + _UNCHANGED_PARAMETERS
_GRANT_OUTBOX = outbox_with_balance_cte(_GRANT_OUTBOX_FIRST)
_GRANT_COMPLETION = held_completion_cte(_GRANT_OUTBOX_FIRST + PER_EVENT + 1)


class PgTransactionRepository(SqlaTransactionRepository):
    """The single-row statements of a purchase on the driver; lists and sums inherited."""

    _wallets: PgWalletRepository

    def __init__(
        self,
        session: AsyncSession,
        wallets: PgWalletRepository,
        wrote_events: Callable[[], None] = lambda: None,
        published: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session, wallets)
        self._wrote_events = wrote_events  # tells the unit of work a statement here wrote its events
        self._published = published  # the unit of work's after-commit hook: a statement here committed events

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
        """`grant_if_unchanged`'s statement with the events and the key's completion riding on the wallet's row,
        sent outside any transaction (it commits by itself): 1 round trip instead of BEGIN, the grant, the
        completion with the outbox and COMMIT."""
        if not await stands_alone(self._db):
            return None
        guard = Guard(_UNCHANGED_UPDATE, (*_changing(tx), integrity_hash, tx.id, seen_hash))
        takes_balance = [
            isinstance(event, BalanceChanged)
            and event.aggregate_id == grant.user_id
            and event.currency == grant.currency.value
            for event in events
        ]
        parameters = tuple(balance_columns(events, takes_balance))
        if answer is None:
            rider = Rider(_GRANT_OUTBOX, parameters)
        else:
            ctes = f"{_GRANT_OUTBOX}, {_GRANT_COMPLETION}"
            rider = Rider(ctes, (*parameters, *held_completion_parameters(answer)), returns="completion")
        granted = await self._wallets.credit_guarded_at_once(grant, now, guard, rider)
        if granted is None:
            raise PurchaseMoved
        if events and self._published is not None:
            self._published()
        entry, row = granted
        return GrantedAtOnce(entry, answered=answer is not None and bool(row["answered"]))

    async def grant_if_unchanged(
        self, tx: PurchaseTransaction, integrity_hash: str, seen_hash: str, grant: Movement, now: datetime
    ) -> LedgerEntry | None:
        """One statement: the purchase's conditional update, and the wallet's credit riding on it (pg_wallet's
        guard), so neither is written unless the row still had `seen_hash`. A concurrent writer of the row is
        waited for, and the condition read again on its outcome."""
        guard = Guard(_UNCHANGED_UPDATE, (*_changing(tx), integrity_hash, tx.id, seen_hash))
        return await self._wallets.credit_guarded(grant, now, guard)

    async def open_unlimited(self, tx: PurchaseTransaction, integrity_hash: str, events: Sequence[DomainEvent]) -> bool:
        """One statement, sent as the unit's first (no BEGIN or COMMIT: it is its own transaction) or in the
        unit's transaction when one is open already."""
        statement = _open_unlimited(len(events))
        try:
            rows = await driver_fetch(self._db, statement, *_row(tx, integrity_hash), *event_parameters(events))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == _KEY_CONSTRAINT:
                raise PurchaseKeyTaken from exc
            raise
        opened = bool(rows[0]["opened"])
        if opened:
            self._wrote_events()
        return opened

    async def add(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        try:
            await driver_execute(self._db, _INSERT, *_row(tx, integrity_hash))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == _KEY_CONSTRAINT:
                raise PurchaseKeyTaken from exc
            raise

    async def get(self, tx_id: str) -> PurchaseTransaction | None:
        return _one(await driver_fetch(self._db, _BY_ID, tx_id))

    async def buy_reads(self, user_id: str, key_hash: str | None, sku: str) -> BuyReads:
        """One driver statement (as the unit's first: no BEGIN, no ROLLBACK)."""
        row = (await driver_fetch(self._db, _BUY_READS, user_id, key_hash, sku))[0]
        return BuyReads(
            earlier=None if row["t_id"] is None else transaction_of(_Prefixed(row, "t_")),
            buyer=None if row["u_id"] is None else user_of(_Prefixed(row, "u_")),
            item=None if row["c_sku"] is None else item_of(_Prefixed(row, "c_")),
        )

    async def get_by_key(self, user_id: str, key_hash: str) -> PurchaseTransaction | None:
        return _one(await driver_fetch(self._db, _BY_KEY, user_id, key_hash))

    async def get_by_charge(self, charge_id: str) -> PurchaseTransaction | None:
        return _one(await driver_fetch(self._db, _BY_CHARGE, charge_id))

    async def get_for_update(self, tx_id: str) -> PurchaseTransaction | None:
        return _one(await driver_execute(self._db, _FOR_UPDATE, tx_id))

    async def update(self, tx: PurchaseTransaction, integrity_hash: str | None = None) -> None:
        await driver_execute(self._db, _UPDATE, tx.id, *_changing(tx), integrity_hash)


class PgCatalogRepository(SqlaCatalogRepository):
    """A buy's read of its catalog item on the driver; the catalog's management inherited."""

    async def get(self, sku: str) -> CatalogItem | None:
        rows = await driver_fetch(self._db, _CATALOG_ITEM, sku)
        return item_of(Columns(rows[0])) if rows else None
