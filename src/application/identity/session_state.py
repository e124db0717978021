"""Live state of a session, cached so every request can check it without a database round trip.

The cache is shared (Redis in production), so a logout or suspension on one instance is seen by all
instances on their next request; a miss falls back to the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from src.application.identity.ports import IdentityUnitOfWork
from src.application.shared.ports import Cache
from src.domain.shared.principal import Principal, Rank


@dataclass(frozen=True)
class SessionState:
    active: bool
    user_id: str
    rank: Rank = Rank.STANDARD
    is_admin: bool = False

    def dumps(self) -> str:
        return json.dumps([self.active, self.user_id, self.rank.value, self.is_admin])

    @classmethod
    def loads(cls, raw: str) -> SessionState:
        active, user_id, rank, is_admin = json.loads(raw)
        return cls(bool(active), str(user_id), Rank(rank), bool(is_admin))

    def is_live_for(self, user_id: str) -> bool:
        return self.active and self.user_id == user_id

    def as_principal(self, session_id: str) -> Principal:
        return Principal(user_id=self.user_id, session_id=session_id, rank=self.rank, is_admin=self.is_admin)


def _key(session_id: str) -> str:
    return f"session:{session_id}"


class SessionStateCache:
    def __init__(self, cache: Cache, ttl_seconds: float, revoked_ttl_seconds: float) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        # a revocation must outlive every access token issued before it
        self._revoked_ttl = revoked_ttl_seconds

    async def get(self, session_id: str) -> SessionState | None:
        raw = await self._cache.get(_key(session_id))
        return None if raw is None else SessionState.loads(raw)

    async def get_many(self, session_ids: Sequence[str]) -> list[SessionState | None]:
        raws = await self._cache.get_many([_key(session_id) for session_id in session_ids])
        return [None if raw is None else SessionState.loads(raw) for raw in raws]

    async def load(self, uow: IdentityUnitOfWork, session_id: str, now: datetime) -> SessionState | None:
        """Read the session and its user from the database and cache the answer."""
        session = await uow.sessions.get(session_id)
        if session is None:
            return None
        user = await uow.users.get(session.user_id)
        active = user is not None and user.can_sign_in and session.is_active(now)
        state = SessionState(
            active=active,
            user_id=session.user_id,
            rank=user.rank if user else Rank.STANDARD,
            is_admin=bool(user and user.is_admin),
        )
        await self._cache.set(_key(session_id), state.dumps(), self._ttl if active else self._revoked_ttl)
        return state

    async def mark_revoked(self, session_ids: list[str], user_id: str) -> None:
        for session_id in session_ids:
            await self._cache.set(_key(session_id), SessionState(False, user_id).dumps(), self._revoked_ttl)

    async def forget(self, session_ids: list[str]) -> None:
        for session_id in session_ids:
            await self._cache.delete(_key(session_id))
