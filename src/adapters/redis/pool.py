"""The app's Redis connection pool: redis-py's, with its checkout's connection check outside the pool's lock."""

from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection


class ConcurrentCheckoutPool(ConnectionPool):
    """redis-py 5.3 holds the pool's one asyncio lock while a checkout connects and checks its connection, and the
    check is a read attempt under a zero timeout, which takes a turn of the event loop: every Redis command of the
    process queued behind the one checking out (redis-py issue 3692). Under a spin load a turn of the loop is
    several milliseconds, and a request's session check waited 100-500 ms for its MGET and SET. Taking a connection
    off the list needs no lock on one event loop (nothing else runs between the pop and the add); the check then
    runs outside it, as redis-py's BlockingConnectionPool does."""

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> AbstractConnection:
        connection: AbstractConnection = self.get_available_connection()  # type: ignore[no-untyped-call]
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection
