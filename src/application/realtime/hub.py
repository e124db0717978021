"""This process's realtime connections: who is connected, the per-user cap, and closing revoked sessions.

Revocation is written to the shared session-state cache by whichever instance ends a session (logout,
logout-all, a suspension, refresh-token reuse); every instance re-checks the sessions of its open connections
every `session_check_seconds`, so a logout anywhere closes the sockets everywhere within about that long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager

import structlog

from src.application.realtime.connection import CloseCode, Connection
from src.application.realtime.messages import (
    BROADCAST_CHANNEL,
    HistoryReader,
    MessageDecoder,
    RealtimeConfig,
    RealtimePublisher,
    user_channel,
)
from src.application.realtime.ports import RealtimeChannels, RealtimeSequencer
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Clock
from src.domain.realtime.errors import TooManyConnections
from src.domain.shared.principal import Principal

logger = structlog.get_logger("casino_club.realtime")

LiveSessions = Callable[[Collection[tuple[str, str]]], Awaitable[Collection[tuple[str, str]]]]
"""(session id, user id) pairs → those still live, checked in one batch (identity's `live_sessions`)."""


class RealtimeHub:
    def __init__(
        self,
        channels: RealtimeChannels,
        ids: RealtimeSequencer,
        clock: Clock,
        config: RealtimeConfig,
        live_sessions: LiveSessions,
    ) -> None:
        self.config = config
        self._channels = channels
        self._clock = clock
        self._live_sessions = live_sessions
        self._decode = MessageDecoder()
        self.history = HistoryReader(channels, ids, config, self._decode)
        self.publisher = RealtimePublisher(channels, ids, config)
        self._by_user: dict[str, set[Connection]] = {}

    async def forget_user(self, user_id: str) -> None:
        """An erased player's stream goes, with every message it kept for a resume."""
        await self._channels.forget(user_channel(user_id))

    def connection_count(self, user_id: str | None = None) -> int:
        if user_id is not None:
            return len(self._by_user.get(user_id, ()))
        return sum(len(connections) for connections in self._by_user.values())

    def connections_of(self, user_id: str) -> tuple[Connection, ...]:
        """The user's open connections on this instance."""
        return tuple(self._by_user.get(user_id, ()))

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
        """Close the connections whose session is no longer live; returns how many were closed.

        All open connections' sessions are checked in one batch (one cache round trip when they are cached);
        when the check cannot answer, every connection is kept until the next pass.
        """
        by_session: dict[tuple[str, str], list[Connection]] = {}
        for connections in list(self._by_user.values()):
            for connection in connections:
                by_session.setdefault((connection.session_id, connection.user_id), []).append(connection)
        if not by_session:
            return 0
        try:
            live = set(await self._live_sessions(list(by_session)))
        except DependencyUnavailable as outage:
            logger.warning("session check failed; connections kept", dependency=str(outage), error=outage.reason)
            return 0
        except Exception:
            logger.exception("session check failed; connections kept")
            return 0
        revoked = [connection for key, group in by_session.items() if key not in live for connection in group]
        for connection in revoked:
            connection.close(CloseCode.SESSION_REVOKED, "session revoked")
        return len(revoked)

    async def watch_sessions(self) -> None:
        while True:
            await asyncio.sleep(self.config.session_check_seconds)
            await self.check_sessions()

    def close_all(self, code: CloseCode = CloseCode.GOING_AWAY) -> None:
        for connections in list(self._by_user.values()):
            for connection in connections:
                connection.close(code, "server shutting down")
