"""SQL wallet: every balance change is one conditional statement plus one ledger row, in one transaction.

The database decides whether a debit is covered (`UPDATE … WHERE balance >= :amount`), so concurrent
spends can never take a balance below zero, on any number of app instances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from src.adapters.sqla.models.wallet import LedgerEntryRow, WalletRow
from src.application.shared.pagination import Page
from src.application.wallet.ports import WalletCheck
from src.domain.wallet.errors import AlreadyApplied, InsufficientFunds
from src.domain.wallet.model import Currency, LedgerEntry, Movement, Wager, first_of_each_reference


def dialect_insert(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT is spelled the same on both engines, but lives in each dialect."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def entry_of(row: Any) -> LedgerEntry:
    return LedgerEntry(
        id=str(row.id),
        user_id=row.user_id,
        currency=Currency(row.currency),
        delta=row.delta,
        balance_after=row.balance_after,
        reason=row.reason,
        ref_type=row.ref_type,
        ref_id=row.ref_id,
        created_at=row.created_at,
    )


def _reference(movement: Movement) -> tuple[str | None, str | None, str, str]:
    return movement.ref_type, movement.ref_id, movement.currency.value, movement.reason


def raise_if_reference_taken(exc: IntegrityError) -> None:
    """The ledger's unique reference (named on PostgreSQL, by its columns on SQLite) → AlreadyApplied."""
    if "uq_ledger_entries_reference" in str(exc.orig) or "ledger_entries.ref_type" in str(exc.orig):
        raise AlreadyApplied from exc


def referenced_ledger_entries() -> tuple[Select[Any], Any]:
    """The ledger rows that name what moved them (query, its keyset column): what an export of the ledger reads.
    Here so that the wallet's modules stay the only code that touches its tables."""
    ledger = LedgerEntryRow.__table__
    query = select(ledger).where(and_(ledger.c.ref_type.is_not(None), ledger.c.ref_id.is_not(None)))
    return query, ledger.c.id


class SqlaWalletRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def _write_ledger(self, movement: Movement, delta: int, balance: int, now: datetime) -> LedgerEntry:
        values = {
            "user_id": movement.user_id,
            "currency": movement.currency.value,
            "delta": delta,
            "balance_after": balance,
            "reason": movement.reason,
            "ref_type": movement.ref_type,
            "ref_id": movement.ref_id,
            "created_at": now,
        }
        try:
            entry_id = (
                await self._db.execute(insert(LedgerEntryRow).values(values).returning(LedgerEntryRow.id))
            ).scalar_one()
        except IntegrityError as exc:
            raise_if_reference_taken(exc)
            raise
        return LedgerEntry(
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

    async def credit(self, movement: Movement, now: datetime) -> LedgerEntry:
        upsert = dialect_insert(self._db)(WalletRow).values(
            user_id=movement.user_id, currency=movement.currency.value, balance=movement.amount, updated_at=now
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[WalletRow.user_id, WalletRow.currency],
            set_={"balance": WalletRow.balance + upsert.excluded.balance, "updated_at": upsert.excluded.updated_at},
        ).returning(WalletRow.balance)
        balance = (await self._db.execute(upsert)).scalar_one()
        return await self._write_ledger(movement, movement.amount, balance, now)

    async def credit_many(self, movements: Sequence[Movement], now: datetime) -> list[LedgerEntry]:
        """Portable form (the applied references read at once, then a credit each); `PgWalletRepository` writes
        them all in one statement."""
        movements = first_of_each_reference(movements)
        applied = await self._applied([movement for movement in movements if movement.ref_id is not None])
        return [await self.credit(movement, now) for movement in movements if _reference(movement) not in applied]

    async def _applied(self, movements: Sequence[Movement]) -> set[tuple[str | None, str | None, str, str]]:
        if not movements:
            return set()
        columns = (LedgerEntryRow.ref_type, LedgerEntryRow.ref_id, LedgerEntryRow.currency, LedgerEntryRow.reason)
        rows = await self._db.execute(
            select(*columns).where(tuple_(*columns).in_([_reference(movement) for movement in movements]))
        )
        return {(ref_type, ref_id, currency, reason) for ref_type, ref_id, currency, reason in rows}

    async def debit(self, movement: Movement, now: datetime) -> LedgerEntry:
        statement = (
            update(WalletRow)
            .where(WalletRow.user_id == movement.user_id, WalletRow.currency == movement.currency.value)
            .where(WalletRow.balance >= movement.amount)
            .values(balance=WalletRow.balance - movement.amount, updated_at=now)
            .returning(WalletRow.balance)
        )
        balance = (await self._db.execute(statement)).scalar_one_or_none()
        if balance is None:
            raise InsufficientFunds(movement.currency.value, movement.amount)
        return await self._write_ledger(movement, -movement.amount, balance, now)

    async def settle_wager(self, wager: Wager, now: datetime) -> int:
        """Portable form; `PgWalletRepository` settles a wager in one statement."""
        entry = await self.debit(wager.stake, now)
        if (payout := wager.payout_movement()) is not None:
            entry = await self.credit(payout, now)
        return entry.balance_after

    async def balances(self, user_id: str) -> dict[Currency, int]:
        rows = await self._db.execute(select(WalletRow.currency, WalletRow.balance).where(WalletRow.user_id == user_id))
        return {Currency(currency): balance for currency, balance in rows}

    async def entry_for(self, movement: Movement) -> LedgerEntry | None:
        if movement.ref_type is None or movement.ref_id is None:
            return None
        statement = select(LedgerEntryRow).where(
            LedgerEntryRow.ref_type == movement.ref_type,
            LedgerEntryRow.ref_id == movement.ref_id,
            LedgerEntryRow.currency == movement.currency.value,
            LedgerEntryRow.reason == movement.reason,
        )
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else entry_of(row)

    async def ledger(self, user_id: str, limit: int, before_id: int | None) -> Page[LedgerEntry]:
        statement = select(LedgerEntryRow).where(LedgerEntryRow.user_id == user_id)
        if before_id is not None:
            statement = statement.where(LedgerEntryRow.id < before_id)
        rows = (await self._db.execute(statement.order_by(LedgerEntryRow.id.desc()).limit(limit + 1))).scalars().all()
        entries = [entry_of(row) for row in rows[:limit]]
        return Page(entries, entries[-1].id if len(rows) > limit else None)


_CHAIN_CHECK = text(
    """
    WITH chain AS (
        SELECT user_id, currency, delta, balance_after,
               COALESCE(LAG(balance_after) OVER (PARTITION BY user_id, currency ORDER BY id), 0) AS before
        FROM ledger_entries WHERE user_id IN :user_ids
    )
    SELECT user_id, currency, SUM(delta) AS ledger_sum,
           SUM(CASE WHEN before + delta <> balance_after THEN 1 ELSE 0 END) AS breaks
    FROM chain GROUP BY user_id, currency
    """
).bindparams(bindparam("user_ids", expanding=True))


class SqlaLedgerAuditor:
    """verify-ledger: compares each wallet with its ledger, batch by batch, in read-only transactions."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def wallet_count(self) -> int:
        async with self._sessions() as session:
            return int((await session.execute(select(func.count()).select_from(WalletRow))).scalar_one())

    async def check_wallets(self, batch_size: int) -> AsyncIterator[list[WalletCheck]]:
        after = ("", "")
        while True:
            async with self._sessions() as session:
                wallets = (
                    await session.execute(
                        select(WalletRow.user_id, WalletRow.currency, WalletRow.balance)
                        .where(tuple_(WalletRow.user_id, WalletRow.currency) > tuple_(*after))
                        .order_by(WalletRow.user_id, WalletRow.currency)
                        .limit(batch_size)
                    )
                ).all()
                if not wallets:
                    return
                sums = await self._ledger_sums(session, sorted({row.user_id for row in wallets}))
            yield [
                WalletCheck(row.user_id, row.currency, row.balance, *sums.get((row.user_id, row.currency), (0, 0)))
                for row in wallets
            ]
            after = (wallets[-1].user_id, wallets[-1].currency)

    @staticmethod
    async def _ledger_sums(session: AsyncSession, user_ids: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
        rows = await session.execute(_CHAIN_CHECK, {"user_ids": user_ids})
        return {(row.user_id, row.currency): (int(row.ledger_sum), int(row.breaks)) for row in rows}
