"""SQL streaks: the row is created and locked by one upsert, so one player's ticks and protections queue."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.engagement import StreakRow
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.domain.engagement.streak import Streak

_COLUMNS = (StreakRow.count, StreakRow.best, StreakRow.last_tick_date, StreakRow.protected_until)


class SqlaStreakRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, user_id: str) -> Streak:
        row = (await self._db.execute(select(*_COLUMNS).where(StreakRow.user_id == user_id))).one_or_none()
        return Streak(user_id) if row is None else Streak(user_id, *row)

    async def lock(self, user_id: str) -> Streak:
        """One statement: insert an empty row or touch the existing one (the update takes its row lock)."""
        upsert = dialect_insert(self._db)(StreakRow).values(user_id=user_id, count=0, best=0, updated_at=func.now())
        upsert = upsert.on_conflict_do_update(
            index_elements=[StreakRow.user_id], set_={"updated_at": upsert.excluded.updated_at}
        ).returning(*_COLUMNS)
        return Streak(user_id, *(await self._db.execute(upsert)).one())

    async def save(self, streak: Streak) -> None:
        await self._db.execute(
            update(StreakRow)
            .where(StreakRow.user_id == streak.user_id)
            .values(
                count=streak.count,
                best=streak.best,
                last_tick_date=streak.last_tick_date,
                protected_until=streak.protected_until,
                updated_at=func.now(),
            )
        )
