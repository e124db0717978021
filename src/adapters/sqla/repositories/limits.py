"""SQL repository of the players' limits (PostgreSQL and SQLite)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.limits import PlayerLimitsRow
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.domain.limits.model import FIELDS, PendingChange, PlayerLimits, Restriction, RestrictionKind


def restriction_of(row: Any) -> Restriction | None:
    """From a row with `restriction` and `restricted_until` (a player without limits has neither)."""
    if row.restriction is None or row.restricted_until is None:
        return None
    return Restriction(RestrictionKind(row.restriction), row.restricted_until)


def limits_of(row: Any) -> PlayerLimits:
    """A row (ORM or RETURNING) as the domain's limits."""
    restriction = restriction_of(row)
    pending = [
        PendingChange(change["field"], change["value"], datetime.fromisoformat(change["effective_at"]))
        for change in row.pending or []
    ]
    return PlayerLimits(row.user_id, {name: getattr(row, name) for name in FIELDS}, pending, restriction)


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
