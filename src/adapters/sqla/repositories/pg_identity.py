"""A player's row on PostgreSQL, read straight from the driver when the session has no ORM state that the read
could miss: a buy prices with the buyer's stored rank and VIP tier, and this read as the first of its unit of work
sends no BEGIN or ROLLBACK either. Everything else is `SqlaUserRepository`."""

from __future__ import annotations

from typing import Any

from src.adapters.sqla.driver import Columns, driver_fetch
from src.adapters.sqla.repositories.identity import SqlaUserRepository, _user
from src.domain.identity.model import User

USER_COLUMNS = (
    "id",
    "site_id",
    "nickname",
    "password_hash",
    "created_at",
    "rank",
    "vip_tier",
    "is_admin",
    "status",
    "email",
    "phone_number",
    "last_login_at",
    "deleted_at",
)  # what `user_of` reads
_USER = f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE id = $1"  # noqa: S608 - a constant column list


def user_of(row: Any) -> User:
    """A driver row (or a prefixed view of one) with `USER_COLUMNS`, read by attribute."""
    return _user(row)


class PgUserRepository(SqlaUserRepository):
    async def get(self, user_id: str) -> User | None:
        session = self._session
        # an ORM row already loaded (maybe changed) or changes not flushed yet: the ORM's answer, which sees them
        if session.new or session.dirty or session.deleted or len(session.identity_map):
            return await super().get(user_id)
        rows = await driver_fetch(session, _USER, user_id)
        return user_of(Columns(rows[0])) if rows else None
