"""Live state of a session, cached so every request can check it without a database round trip.

The cache is shared (Redis in production), so a logout or suspension on one instance is seen by all
instances on their next request; a miss falls back to the database. In front of it, each process may keep
a short local copy (no Redis round trip per request): a revocation or change is published on an invalidation
channel that every process hears at once, and while a process cannot hear the channel it keeps no copies.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from src.application.identity.ports import IdentityUnitOfWork
from src.application.shared.ports import Cache, InvalidationChannel
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


def spread() -> float:
    """A cached state lives 75-100 % of its ttl: states cached together (a crowd signed in at once, or first seen
    after a restart) would otherwise expire together, and every one of those players' next requests would read the
    database at the same moment (100 at once every 30 s in the http bench, each ~100-300 ms under load)."""
    return random.uniform(0.75, 1.0)  # noqa: S311 - a spread in time, not a secret


class LocalCopies:
    """Session states this process read lately, for `ttl_seconds`. Every invalidation bumps the generation, so a
    read that started before it (and may have seen the old state) is not kept."""

    MAX_ENTRIES = 100_000  # a bound on memory: past it, the copies are dropped and refilled as requests come

    def __init__(
        self, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic, spread: Callable[[], float] = spread
    ) -> None:
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._spread = spread
        self._entries: dict[str, tuple[float, SessionState]] = {}
        self.generation = 0
        self.listening = False  # copies are kept and used only while invalidations are heard

    def get(self, session_id: str) -> SessionState | None:
        entry = self._entries.get(session_id) if self.listening else None
        if entry is None or entry[0] <= self._monotonic():
            return None
        return entry[1]

    def keep(self, session_id: str, state: SessionState, generation: int) -> None:
        if not self.listening or generation != self.generation or self._ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[session_id] = (self._monotonic() + self._ttl * self._spread(), state)

    def drop(self, session_ids: Sequence[str]) -> None:
        self.generation += 1
        for session_id in session_ids:
            self._entries.pop(session_id, None)

    def set_listening(self, listening: bool) -> None:
        """A channel (re)gained or lost: what was kept may have missed a message meanwhile."""
        self.generation += 1
        self._entries.clear()
        self.listening = listening


class SessionStateCache:
    def __init__(
        self,
        cache: Cache,
        ttl_seconds: float,
        revoked_ttl_seconds: float,
        channel: InvalidationChannel | None = None,
        local_ttl_seconds: float = 0.0,
        spread: Callable[[], float] = spread,
    ) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        self._spread = spread
        # a revocation must outlive every access token issued before it
        self._revoked_ttl = revoked_ttl_seconds
        self._channel = channel
        self._local = LocalCopies(local_ttl_seconds if channel is not None else 0.0, spread=spread)

    async def listen(self) -> None:
        """Keep local copies while hearing the channel (runs until cancelled); without a channel, there is none."""
        if self._channel is not None:
            await self._channel.listen(self._local.drop, self._local.set_listening)

    async def get(self, session_id: str) -> SessionState | None:
        return (await self.get_many([session_id]))[0]

    async def get_many(self, session_ids: Sequence[str], local: bool = True) -> list[SessionState | None]:
        """`local=False`: from the shared cache even where this process holds a copy."""
        states = {session_id: self._local.get(session_id) if local else None for session_id in session_ids}
        missing = [session_id for session_id, state in states.items() if state is None]
        if missing:
            generation = self._local.generation
            raws = await self._cache.get_many([_key(session_id) for session_id in missing])
            for session_id, raw in zip(missing, raws, strict=True):
                state = states[session_id] = None if raw is None else SessionState.loads(raw)
                if state is not None:
                    self._local.keep(session_id, state, generation)
        return [states[session_id] for session_id in session_ids]

    async def load(self, uow: IdentityUnitOfWork, session_id: str, now: datetime) -> SessionState | None:
        """Read the session and its user from the database and cache the answer."""
        generation = self._local.generation
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
        # a revoked state keeps its whole ttl: it must outlive the tokens it refuses
        await self._cache.set(
            _key(session_id), state.dumps(), self._ttl * self._spread() if active else self._revoked_ttl
        )
        self._local.keep(session_id, state, generation)
        return state

    async def mark_revoked(self, session_ids: list[str], user_id: str) -> None:
        for session_id in session_ids:
            await self._cache.set(_key(session_id), SessionState(False, user_id).dumps(), self._revoked_ttl)
        await self._invalidate(session_ids)

    async def forget(self, session_ids: list[str]) -> None:
        for session_id in session_ids:
            await self._cache.delete(_key(session_id))
        await self._invalidate(session_ids)

    async def _invalidate(self, session_ids: list[str]) -> None:
        """After the shared cache is written: every process (this one at once) drops its copies."""
        if not session_ids:
            return
        self._local.drop(session_ids)
        if self._channel is not None:
            await self._channel.publish(session_ids)
