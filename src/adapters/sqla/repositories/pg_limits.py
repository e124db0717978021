"""The players' limits on PostgreSQL: the buy's lock of the buyer's limits straight to the driver, and that lock as
a CTE another statement can ride (a purchase opened in the same statement as the lock)."""

from __future__ import annotations

from src.adapters.sqla.driver import Columns, driver_execute
from src.adapters.sqla.repositories.limits import SqlaLimitRepository, limits_of
from src.domain.limits.model import PlayerLimits

# the row, created empty if the player has none, locked by the upsert's no-op update (as SqlaLimitRepository.lock)
_UPSERT = """
INSERT INTO player_limits AS limits (user_id, pending) VALUES ({user}, '[]'::jsonb)
ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
"""
_LOCK = (
    _UPSERT.format(user="$1")
    + """RETURNING limits.user_id, limits.daily_cents, limits.weekly_cents, limits.monthly_cents,
    limits.play_minutes_daily, limits.reality_check_minutes, limits.pending, limits.restriction,
    limits.restricted_until
"""
)


def locked_limits_cte(user_placeholder: str) -> str:
    """`limits AS (…)`: the buyer's row locked as `lock` does, with one column, `unlimited`: true when no purchase
    can be refused by it (no restriction, no purchase limit, no pending change; an expired restriction or a limit
    that would let this purchase through still answer false), so a purchase that rides on the lock may skip
    `enforce_limits` exactly when it is true."""
    return (
        "limits AS ("
        + _UPSERT.format(user=user_placeholder)
        + """RETURNING limits.restriction IS NULL AND limits.daily_cents IS NULL AND limits.weekly_cents IS NULL
        AND limits.monthly_cents IS NULL AND (limits.pending IS NULL OR limits.pending = '[]'::jsonb) AS unlimited
)"""
    )


class PgLimitRepository(SqlaLimitRepository):
    async def lock(self, user_id: str) -> PlayerLimits:
        """One driver statement in the unit's transaction."""
        return limits_of(Columns((await driver_execute(self._db, _LOCK, user_id))[0]))
