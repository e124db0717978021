"""The players' limits on PostgreSQL: the buy's lock of the buyer's limits straight to the driver."""

from __future__ import annotations

from src.adapters.sqla.driver import Columns, driver_execute
from src.adapters.sqla.repositories.limits import SqlaLimitRepository, limits_of
from src.domain.limits.model import PlayerLimits

# the row, created empty if the player has none, locked by the upsert's no-op update (as SqlaLimitRepository.lock)
_LOCK = """
INSERT INTO player_limits AS limits (user_id, pending) VALUES ($1, '[]'::jsonb)
ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
RETURNING limits.user_id, limits.daily_cents, limits.weekly_cents, limits.monthly_cents, limits.play_minutes_daily,
    limits.reality_check_minutes, limits.pending, limits.restriction, limits.restricted_until
"""


class PgLimitRepository(SqlaLimitRepository):
    async def lock(self, user_id: str) -> PlayerLimits:
        """One driver statement in the unit's transaction."""
        return limits_of(Columns((await driver_execute(self._db, _LOCK, user_id))[0]))
