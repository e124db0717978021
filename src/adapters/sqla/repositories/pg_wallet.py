"""The wallet's hot path on PostgreSQL: a wager settled in one statement, which another adapter may ride.

Only the wallet writes `wallets` and `ledger_entries`. A use case that must settle in one round trip (a spin)
hands its own writes to `settle_wager` as a `Rider`: CTEs appended to the wallet's statement. They read the
`wallet` CTE, which has its one row (the balance after) only when the stake was covered, so a refused stake
writes nothing of theirs either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy.exc import IntegrityError

from src.adapters.sqla.driver import driver_execute, driver_fetch, standalone_fetch
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.wallet import SqlaWalletRepository, entry_of, raise_if_reference_taken
from src.domain.wallet.errors import AlreadyApplied, InsufficientFunds
from src.domain.wallet.model import Currency, LedgerEntry, Movement, Wager, first_of_each_reference

# $1 user, $2 currency, $3 stake, $4 payout, $5 now, $6 stake reason, $7 payout reason, $8 ref type, $9 ref id.
# The stake's row is written first, so the chain of balance_after reads stake then payout.
_WAGER = """
WITH {guard}wallet AS (
    UPDATE wallets SET balance = balance - $3 + $4, updated_at = $5
    WHERE user_id = $1 AND currency = $2 AND balance >= $3{guarded}
    RETURNING balance
), ledger AS (
    INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at)
    SELECT $1, $2, entry.delta, entry.balance_after, entry.reason, $8, $9, $5
    FROM wallet CROSS JOIN LATERAL (VALUES
        (1, -$3::bigint, wallet.balance - $4, $6::varchar),
        (2, $4::bigint, wallet.balance, $7::varchar)
    ) AS entry (position, delta, balance_after, reason)
    WHERE entry.position = 1 OR $4 > 0
    ORDER BY entry.position
)"""
REFERENCE_CONSTRAINT = "uq_ledger_entries_reference"
_GUARDED_RESULT = "SELECT (SELECT balance FROM wallet) AS balance, EXISTS (SELECT 1 FROM guard) AS guarded"
_GUARDED_RESULT_WITH = _GUARDED_RESULT + ", {cte}.* FROM (VALUES (1)) AS result LEFT JOIN {cte} ON true"
RIDER_FIRST_PARAMETER = 10  # a rider's placeholders start after the wallet's nine
_PLACEHOLDER = re.compile(r"\$(\d+)")


def _placeholders_from(first: int, ctes: str, whose: str) -> None:
    """CTEs appended to a statement number their parameters after the statement's own."""
    if any(int(number) < first for number in _PLACEHOLDER.findall(ctes)):
        raise ValueError(f"{whose}'s placeholders start at ${first}")


# `_CREDIT` that writes only if the caller's `guard` CTE (placeholders from $8) returned its row
_GUARDED_WALLET = """wallet AS (
    INSERT INTO wallets AS wallet (user_id, currency, balance, updated_at)
    SELECT $1::varchar, $2::varchar, $3::bigint, $4::timestamptz FROM guard
    ON CONFLICT (user_id, currency)
    DO UPDATE SET balance = wallet.balance + excluded.balance, updated_at = excluded.updated_at
    RETURNING wallet.balance
)"""
_CREDIT_ROW = """
INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at)
SELECT $1, $2, $3, wallet.balance, $5, $6, $7, $4 FROM wallet
RETURNING id, balance_after"""
_GUARDED_CREDIT = f"WITH {{guard}}, {_GUARDED_WALLET}\n{_CREDIT_ROW}"
# the same with a rider's CTEs (reading `wallet`) after it, answering the ledger row (and a rider CTE's row)
_GUARDED_CREDIT_RIDDEN = (
    f"WITH {{guard}}, {_GUARDED_WALLET}, ledger AS (\n{_CREDIT_ROW}\n), {{rider}}\n"
    "SELECT ledger.id, ledger.balance_after{returned} FROM ledger{joined}"
)
GUARD_FIRST_PARAMETER = 8  # a guard's placeholders start after the credit's seven


@dataclass(frozen=True)
class Guard:
    """The write a credit depends on: one `guard AS (…)` CTE whose RETURNING has a row only when it wrote (a
    conditional UPDATE, say); its parameters are numbered from $8 and passed in that order. Without its row the
    credit writes nothing."""

    cte: str
    parameters: tuple[Any, ...]


@cache
def _guarded_statement(guard_cte: str) -> str:
    _placeholders_from(GUARD_FIRST_PARAMETER, guard_cte, "a guard")
    return _GUARDED_CREDIT.format(guard=guard_cte)


@cache
def _guarded_ridden_statement(guard_cte: str, guard_parameters: int, rider_ctes: str, returns: str | None) -> str:
    _placeholders_from(GUARD_FIRST_PARAMETER, guard_cte, "a guard")
    _placeholders_from(GUARD_FIRST_PARAMETER + guard_parameters, rider_ctes, "a guarded credit's rider")
    returned, joined = ("", "") if returns is None else (f", {returns}.*", f" LEFT JOIN {returns} ON true")
    return _GUARDED_CREDIT_RIDDEN.format(guard=guard_cte, rider=rider_ctes, returned=returned, joined=joined)


@dataclass(frozen=True)
class Rider:
    """Writes that go with a wager: `name AS (…)` CTEs, comma-separated, reading `wallet`; their parameters are
    numbered from $10 and passed in that order. With a `guard` (one `guard AS (…)` CTE, numbered with the others),
    the wager writes only if the guard returned a row: a locking read of what the rider's writes were computed
    from, say, with the values they were computed from as its condition."""

    ctes: str
    parameters: tuple[Any, ...]
    guard: str | None = None  # a wager's only (a guarded credit has its `Guard`)
    returns: str | None = None  # with a guard: a CTE of the rider's whose row (if any) comes with the result's


@cache
def _statement(rider_ctes: str, guard_cte: str | None = None, returns: str | None = None) -> str:
    """The wager, the rider's CTEs, and the balance after (no row: the stake was not covered); with a guard, one
    row: the balance after (null: not covered or not guarded), whether the guard held, and `returns`'s columns."""
    _placeholders_from(RIDER_FIRST_PARAMETER, rider_ctes + (guard_cte or ""), "a rider")
    rider = f", {rider_ctes}" if rider_ctes.strip() else ""
    if guard_cte is None:
        return f"{_WAGER.format(guard='', guarded='')}{rider}\nSELECT balance FROM wallet"
    wager = _WAGER.format(guard=f"{guard_cte}, ", guarded=" AND EXISTS (SELECT 1 FROM guard)")
    result = _GUARDED_RESULT if returns is None else _GUARDED_RESULT_WITH.format(cte=returns)
    return f"{wager}{rider}\n{result}"


# $1…$6 the movements' columns (user, currency, amount, reason, ref type, ref id), $7 now. A movement whose
# reference has a ledger row already drops out before anything is written; each wallet is upserted once with its
# movements' sum (locked in key order, so passes sharing players queue without deadlock), and each ledger row's
# balance_after is that balance less the movements of its wallet that follow it: the chain reads in id order.
_CREDITS = """
WITH move AS (
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::varchar[], $5::varchar[], $6::varchar[])
        WITH ORDINALITY AS move (user_id, currency, amount, reason, ref_type, ref_id, position)
    WHERE NOT EXISTS (
        SELECT 1 FROM ledger_entries AS entry
        WHERE entry.ref_type = move.ref_type AND entry.ref_id = move.ref_id
          AND entry.currency = move.currency AND entry.reason = move.reason
    )
), wallet AS (
    INSERT INTO wallets AS wallet (user_id, currency, balance, updated_at)
    SELECT user_id, currency, SUM(amount)::bigint, $7 FROM move GROUP BY user_id, currency ORDER BY user_id, currency
    ON CONFLICT (user_id, currency)
    DO UPDATE SET balance = wallet.balance + excluded.balance, updated_at = excluded.updated_at
    RETURNING wallet.user_id, wallet.currency, wallet.balance
)
INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at)
SELECT move.user_id, move.currency, move.amount,
       wallet.balance - SUM(move.amount) OVER whole + SUM(move.amount) OVER upto,
       move.reason, move.ref_type, move.ref_id, $7
FROM move JOIN wallet USING (user_id, currency)
WINDOW whole AS (PARTITION BY move.user_id, move.currency),
       upto AS (PARTITION BY move.user_id, move.currency ORDER BY move.position)
ORDER BY move.position
RETURNING id, user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at
"""

_BALANCES = "SELECT currency, balance FROM wallets WHERE user_id = $1"

# $1 user, $2 currency, $3 amount, $4 now, $5 reason, $6 ref type, $7 ref id: the wallet (created if need be) and
# its ledger row in one statement; a reference applied before fails it whole (AlreadyApplied), nothing written
_CREDIT = """
WITH wallet AS (
    INSERT INTO wallets AS wallet (user_id, currency, balance, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (user_id, currency)
    DO UPDATE SET balance = wallet.balance + excluded.balance, updated_at = excluded.updated_at
    RETURNING wallet.balance
)
INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at)
SELECT $1, $2, $3, wallet.balance, $5, $6, $7, $4 FROM wallet
RETURNING id, balance_after
"""


def _wager_parameters(wager: Wager, now: datetime) -> tuple[Any, ...]:
    stake = wager.stake
    return (
        stake.user_id,
        stake.currency.value,
        stake.amount,
        wager.payout,
        now,
        stake.reason,
        wager.payout_reason,
        stake.ref_type,
        stake.ref_id,
    )


@contextmanager
def _applied_once() -> Iterator[None]:
    """A movement whose reference the ledger has already (its unique constraint) was applied before: AlreadyApplied,
    which callers take as done. Any other unique violation is not ours to read."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == REFERENCE_CONSTRAINT:
            raise AlreadyApplied from exc
        raise


def _movement_parameters(movement: Movement, now: datetime) -> tuple[Any, ...]:
    """$1…$7 of a credit's statements: user, currency, amount, now, reason, ref type, ref id."""
    return (
        movement.user_id,
        movement.currency.value,
        movement.amount,
        now,
        movement.reason,
        movement.ref_type,
        movement.ref_id,
    )


def _entry(movement: Movement, row: asyncpg.Record, now: datetime) -> LedgerEntry:
    return LedgerEntry(
        id=str(row["id"]),
        user_id=movement.user_id,
        currency=movement.currency,
        delta=movement.amount,
        balance_after=row["balance_after"],
        reason=movement.reason,
        ref_type=movement.ref_type,
        ref_id=movement.ref_id,
        created_at=now,
    )


@dataclass(frozen=True)
class PgBalanceReads:
    """The wallet view's read on a driver connection of its own pool: no session, no transaction, one round trip."""

    pool: DriverPool

    async def balances(self, user_id: str) -> dict[Currency, int]:
        return {Currency(row["currency"]): row["balance"] for row in await self.pool.fetch(_BALANCES, user_id)}


class PgWalletRepository(SqlaWalletRepository):
    async def balances(self, user_id: str) -> dict[Currency, int]:
        """Read on every wallet view: straight to the driver (one round trip, no transaction of its own)."""
        return {Currency(row["currency"]): row["balance"] for row in await driver_fetch(self._db, _BALANCES, user_id)}

    async def credit(self, movement: Movement, now: datetime) -> LedgerEntry:
        """One driver statement in the unit's transaction (the portable form is two)."""
        with _applied_once():
            row = (
                await driver_execute(
                    self._db,
                    _CREDIT,
                    *_movement_parameters(movement, now),
                )
            )[0]
        return _entry(movement, row, now)

    async def credit_guarded(self, movement: Movement, now: datetime, guard: Guard) -> LedgerEntry | None:
        """`credit` in the same statement as `guard`'s write, and only if that wrote: None (nothing credited)
        otherwise. One round trip."""
        with _applied_once():
            rows = await driver_execute(
                self._db,
                _guarded_statement(guard.cte),
                *_movement_parameters(movement, now),
                *guard.parameters,
            )
        return _entry(movement, rows[0], now) if rows else None

    async def credit_guarded_at_once(
        self, movement: Movement, now: datetime, guard: Guard, rider: Rider
    ) -> tuple[LedgerEntry, asyncpg.Record] | None:
        """`credit_guarded` with `rider`'s CTEs (reading `wallet`; placeholders numbered after the guard's) as one
        statement of its own, outside any transaction: it commits by itself. The entry and the result's row (with
        the columns of the rider's `returns`, null where it has no row); None when the guard wrote nothing (nothing
        written at all). Only on a connection with no transaction begun (ValueError otherwise)."""
        statement = _guarded_ridden_statement(guard.cte, len(guard.parameters), rider.ctes, rider.returns)
        with _applied_once():
            rows = await standalone_fetch(
                self._db,
                statement,
                *_movement_parameters(movement, now),
                *guard.parameters,
                *rider.parameters,
            )
        return (_entry(movement, rows[0], now), rows[0]) if rows else None

    async def credit_many(self, movements: Sequence[Movement], now: datetime) -> list[LedgerEntry]:
        """One statement whatever the number of movements (a relay pass's credits)."""
        movements = first_of_each_reference(movements)
        if not movements:
            return []
        columns = [
            [movement.user_id for movement in movements],
            [movement.currency.value for movement in movements],
            [movement.amount for movement in movements],
            [movement.reason for movement in movements],
            [movement.ref_type for movement in movements],
            [movement.ref_id for movement in movements],
        ]
        connection = await self._db.connection()
        try:
            result = await connection.exec_driver_sql(_CREDITS, (*columns, now))
        except IntegrityError as exc:
            raise_if_reference_taken(exc)
            raise
        return [entry_of(row) for row in sorted(result.all(), key=lambda row: int(row.id))]

    async def settle_wager(self, wager: Wager, now: datetime, rider: Rider | None = None) -> int:
        """One statement, one round trip: the stake if covered, the payout, both ledger rows, and `rider`."""
        stake = wager.stake
        if rider is not None and rider.guard is not None:
            raise ValueError("a guarded wager is settle_wager_at_once's")
        statement = _statement("" if rider is None else rider.ctes)
        with _applied_once():
            rows = await driver_execute(
                self._db, statement, *_wager_parameters(wager, now), *(rider.parameters if rider else ())
            )
        if not rows:
            raise InsufficientFunds(stake.currency.value, stake.amount)
        return int(rows[0]["balance"])


async def settle_wager_at_once(
    pool: DriverPool, wager: Wager, now: datetime, rider: Rider
) -> tuple[int | None, asyncpg.Record]:
    """`settle_wager` with `rider` and its guard as one statement of its own on a connection of `pool`, outside any
    transaction (it commits by itself): the balance after (None when the guard returned no row: nothing written)
    and the result's row (with the columns of the rider's `returns`)."""
    if rider.guard is None:
        raise ValueError("a wager settled at once has a guard")
    statement = _statement(rider.ctes, rider.guard, rider.returns)
    with _applied_once():
        rows = await pool.fetch(statement, *_wager_parameters(wager, now), *rider.parameters)
    row = rows[0]
    if not row["guarded"]:
        return None, row
    if row["balance"] is None:
        raise InsufficientFunds(wager.stake.currency.value, wager.stake.amount)
    return int(row["balance"]), row
