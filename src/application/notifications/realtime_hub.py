"""This process's realtime connections: who is connected, the per-user cap, and closing revoked sessions.

Revocation is written to the shared session-state cache by whichever instance ends a session (logout,
logout-all, a suspension, refresh-token reuse); every instance re-checks the sessions of its open connections
every `session_check_seconds`, so a logout anywhere closes the sockets everywhere within about that long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog

from src.application.identity.deps import IdentityDeps
from src.application.notifications.realtime import (
    BROADCAST_CHANNEL,
    HistoryReader,
    MessageDecoder,
    RealtimeConfig,
    RealtimePublisher,
    user_channel,
)
from src.application.notifications.realtime_connection import CloseCode, Connection
from src.application.notifications.realtime_ports import RealtimeChannels, RealtimeSequencer
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Clock
from src.domain.notifications.realtime import TooManyConnections
from src.domain.shared.principal import Principal

logger = structlog.get_logger("casino_club.realtime")

SessionLiveness = Callable[[str, str], Awaitable[bool]]
"""(session_id, user_id) → is that session still live?"""
CHECK_CONCURRENCY = 50


def session_liveness(deps: IdentityDeps) -> SessionLiveness:
    """The check every request makes, by session id: the shared cache first, the database on a miss."""

    async def is_live(session_id: str, user_id: str) -> bool:
        state = await deps.session_state.get(session_id)
        if state is None:
            async with deps.uow_factory() as uow:
                state = await deps.session_state.load(uow, session_id, deps.clock.now())
        return state is not None and state.active and state.user_id == user_id

    return is_live


class RealtimeHub:
    def __init__(
        self,
        channels: RealtimeChannels,
        ids: RealtimeSequencer,
        clock: Clock,
        config: RealtimeConfig,
        is_live: SessionLiveness,
    ) -> None:
        self.config = config
        self._channels = channels
        self._clock = clock
        self._is_live = is_live
        self._decode = MessageDecoder()
        self.history = HistoryReader(channels, ids, config, self._decode)
        self.publisher = RealtimePublisher(channels, ids, config)
        self._by_user: dict[str, set[Connection]] = {}

    def connection_count(self, user_id: str | None = None) -> int:
        if user_id is not None:
            return len(self._by_user.get(user_id, ()))
        return sum(len(connections) for connections in self._by_user.values())

    @asynccontextmanager
    async def connect(self, principal: Principal, last_event_id: int | None = None) -> AsyncIterator[Connection]:
        """A live connection for the block: listening to the user's channel and the broadcast one."""
        user_id = principal.user_id
        if self.connection_count(user_id) >= self.config.max_connections_per_user:
            raise TooManyConnections(self.config.max_connections_per_user)
        connection = Connection(principal, self.config, self._decode, self.history, self._clock)
        self._by_user.setdefault(user_id, set()).add(connection)  # counted before any wait: the cap holds
        try:
            async with self._channels.listen([user_channel(user_id), BROADCAST_CHANNEL], connection.deliver):
                connection.start(await self.history.latest_ids(user_id))
                if last_event_id is not None:
                    await connection.resume(last_event_id)
                yield connection
        finally:
            connection.release()
            connections = self._by_user.get(user_id, set())
            connections.discard(connection)
            if not connections:
                self._by_user.pop(user_id, None)

    async def check_sessions(self) -> int:
        """Close the connections whose session is no longer live; returns how many were closed."""
        by_session: dict[tuple[str, str], list[Connection]] = {}
        for connections in list(self._by_user.values()):
            for connection in connections:
                by_session.setdefault((connection.session_id, connection.user_id), []).append(connection)
        keys = list(by_session)
        closed = 0
        for start in range(0, len(keys), CHECK_CONCURRENCY):
            chunk = keys[start : start + CHECK_CONCURRENCY]
            verdicts = await asyncio.gather(*(self._is_live(*key) for key in chunk), return_exceptions=True)
            for key, verdict in zip(chunk, verdicts, strict=True):
                if isinstance(verdict, BaseException):
                    logger.warning("session check failed; connection kept", error=repr(verdict))
                elif not verdict:
                    for connection in by_session[key]:
                        connection.close(CloseCode.SESSION_REVOKED, "session revoked")
                        closed += 1
        return closed

    async def watch_sessions(self) -> None:
        while True:
            await asyncio.sleep(self.config.session_check_seconds)
            try:
                await self.check_sessions()
            except DependencyUnavailable as outage:  # connections are kept until the check can answer
                logger.warning("session check pass failed", dependency=str(outage), error=outage.reason)
            except Exception:
                logger.exception("session check pass failed")

    def close_all(self, code: CloseCode = CloseCode.GOING_AWAY) -> None:
        for connections in list(self._by_user.values()):
            for connection in connections:
                connection.close(code, "server shutting down")
