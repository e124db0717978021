"""SQL repository of the players' limits (PostgreSQL and SQLite)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.games import GameHistoryRow
from src.adapters.sqla.models.limits import PlayerLimitsRow, PlayTimeRow
from src.adapters.sqla.models.shop import PurchaseTransactionRow
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.domain.limits.model import FIELDS, PendingChange, PlayerLimits, Restriction, RestrictionKind
from src.domain.limits.play_time import PlayClock
from src.domain.shop.transactions import TxStatus


def restriction_of(row: Any) -> Restriction | None:
    """From a row with `restriction` and `restricted_until` (a player without limits has neither)."""
    if row.restriction is None or row.restricted_until is None:
        return None
    return Restriction(RestrictionKind(row.restriction), row.restricted_until)


def limits_of(row: Any, user_id: str | None = None) -> PlayerLimits:
    """A row (ORM or RETURNING; or a LEFT JOIN's columns, all null for a player without limits, given `user_id`)
    as the domain's limits."""
    restriction = restriction_of(row)
    pending = [
        PendingChange(change["field"], change["value"], datetime.fromisoformat(change["effective_at"]))
        for change in _json(row.pending) or []
    ]
    values = {name: getattr(row, name) for name in FIELDS}
    return PlayerLimits(user_id or row.user_id, values, pending, restriction)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _values(limits: PlayerLimits) -> dict[str, Any]:
    restriction = limits.restriction
    return {
        **limits.values,
        "pending": [
            {"field": c.field, "value": c.value, "effective_at": c.effective_at.isoformat()} for c in limits.pending
        ],
        "restriction": None if restriction is None else restriction.kind.value,
        "restricted_until": None if restriction is None else restriction.until,
    }


class SqlaLimitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def lock(self, user_id: str) -> PlayerLimits:
        """One statement: the row (created empty if the player has none), locked by the upsert's no-op update."""
        upsert = dialect_insert(self._db)(PlayerLimitsRow).values(user_id=user_id, **_values(PlayerLimits(user_id)))
        upsert = upsert.on_conflict_do_update(
            index_elements=[PlayerLimitsRow.user_id], set_={"user_id": upsert.excluded.user_id}
        )
        row = (await self._db.execute(upsert.returning(*PlayerLimitsRow.__table__.columns))).one()
        return limits_of(row)

    async def get(self, user_id: str) -> PlayerLimits:
        row = (await self._db.execute(select(PlayerLimitsRow).where(PlayerLimitsRow.user_id == user_id))).scalar()
        return PlayerLimits(user_id) if row is None else limits_of(row)

    async def save(self, limits: PlayerLimits) -> None:
        await self._db.execute(
            update(PlayerLimitsRow).where(PlayerLimitsRow.user_id == limits.user_id).values(**_values(limits))
        )

    async def restricted_among(self, user_ids: Sequence[str], now: datetime) -> set[str]:
        if not user_ids:
            return set()
        row = PlayerLimitsRow
        statement = select(row.user_id).where(row.user_id.in_(list(user_ids)), row.restricted_until > now)
        return set((await self._db.execute(statement)).scalars())


def clock_of(user_id: str, row: Any) -> PlayClock:
    """A row (ORM or RETURNING, with `day`, `active_seconds`, … ) as the domain's play clock."""
    return PlayClock(
        user_id=user_id,
        day=row.day,
        active_seconds=int(row.active_seconds),
        session_started_at=row.session_started_at,
        last_play_at=row.last_play_at,
        checks_sent=int(row.checks_sent),
    )


def clock_values(clock: PlayClock) -> dict[str, Any]:
    return {
        "day": clock.day,
        "active_seconds": clock.active_seconds,
        "session_started_at": clock.session_started_at,
        "last_play_at": clock.last_play_at,
        "checks_sent": clock.checks_sent,
    }


class SqlaPlayTimeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def lock(self, user_id: str) -> PlayClock:
        """One statement: create the row if needed and lock it (the upsert's update takes the row lock)."""
        upsert = dialect_insert(self._db)(PlayTimeRow).values(user_id=user_id, active_seconds=0, checks_sent=0)
        upsert = upsert.on_conflict_do_update(
            index_elements=[PlayTimeRow.user_id], set_={"checks_sent": PlayTimeRow.checks_sent}
        )
        row = (await self._db.execute(upsert.returning(*PlayTimeRow.__table__.columns))).one()
        return clock_of(user_id, row)

    async def get(self, user_id: str) -> PlayClock:
        row = (await self._db.execute(select(PlayTimeRow).where(PlayTimeRow.user_id == user_id))).scalar()
        return PlayClock(user_id) if row is None else clock_of(user_id, row)

    async def save(self, clock: PlayClock) -> None:
        statement = update(PlayTimeRow).where(PlayTimeRow.user_id == clock.user_id).values(**clock_values(clock))
        await self._db.execute(statement)

    async def session_totals(self, user_id: str, since: datetime) -> tuple[int, int]:
        """Reads the games' and the shop's tables: the reality check reports on both."""
        plays = select(func.coalesce(func.sum(GameHistoryRow.delta_coins), 0)).where(
            GameHistoryRow.user_id == user_id, GameHistoryRow.created_at >= since
        )
        tx = PurchaseTransactionRow
        paid = select(func.coalesce(func.sum(tx.amount_cents - tx.refunded_cents), 0)).where(
            tx.user_id == user_id,
            tx.created_at >= since,
            tx.status.in_([TxStatus.CAPTURED.value, TxStatus.REFUNDED.value]),
        )
        row = (await self._db.execute(select(plays.scalar_subquery(), paid.scalar_subquery()))).one()
        return int(row[0]), int(row[1])
