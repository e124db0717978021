"""A player's row and a sign-in session's on PostgreSQL, read straight from the driver when the session has no ORM
state that the read could miss: a buy prices with the buyer's stored rank and VIP tier, and the session check of a
request whose state left the cache reads both; as the first reads of their unit of work they send no BEGIN or
ROLLBACK either (and go to the standalone pool where the unit has one). Everything else is `SqlaUserRepository` and
`SqlaSessionRepository`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_fetch
from src.adapters.sqla.repositories.identity import SqlaUserRepository, _user
from src.adapters.sqla.repositories.sessions import SESSION_FIELDS, SqlaSessionRepository, session_of
from src.domain.identity.model import Session, User

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


_SESSION = f"SELECT id, {', '.join(SESSION_FIELDS)} FROM auth_sessions WHERE id = $1"  # noqa: S608 - constant columns


def user_of(row: Any) -> User:
    """A driver row (or a prefixed view of one) with `USER_COLUMNS`, read by attribute."""
    return _user(row)


def _orm_state(session: AsyncSession) -> bool:
    """An ORM row already loaded (maybe changed) or changes not flushed yet: only the ORM's answer sees them."""
    return bool(session.new or session.dirty or session.deleted or len(session.identity_map))


class PgUserRepository(SqlaUserRepository):
    async def get(self, user_id: str) -> User | None:
        if _orm_state(self._session):
            return await super().get(user_id)
        rows = await driver_fetch(self._session, _USER, user_id)
        return user_of(Columns(rows[0])) if rows else None


class PgSessionRepository(SqlaSessionRepository):
    async def get(self, session_id: str) -> Session | None:
        if _orm_state(self._db):
            return await super().get(session_id)
        rows = await driver_fetch(self._db, _SESSION, session_id)
        return session_of(Columns(rows[0])) if rows else None
