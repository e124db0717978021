"""The app's Redis pool checks the connections of concurrent commands side by side; redis-py's own pool (5.3) does
one checkout at a time under its lock, each at least a turn of the event loop, so every command of a busy process
queued behind the others' checks."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import ConnectionPool, Redis

from src.adapters.redis.packing import HiredisPackingConnection
from src.adapters.redis.pool import ConcurrentCheckoutPool
from tests.support.env import TEST_REDIS_URL

pytestmark = pytest.mark.asyncio


async def _peak_checks(pool: ConnectionPool, commands: int) -> tuple[int, list[object]]:
    """The most connection checks in flight at once while `commands` PINGs run concurrently, and their answers."""
    in_flight = peak = 0
    check = pool.ensure_connection

    async def counted(connection: object) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await check(connection)  # type: ignore[arg-type]
        finally:
            in_flight -= 1

    pool.ensure_connection = counted  # type: ignore[method-assign]
    client = Redis.from_pool(pool)
    try:
        answers = await asyncio.gather(*(client.ping() for _ in range(commands)))
    finally:
        await client.aclose()
    return peak, list(answers)


async def test_concurrent_commands_check_their_connections_side_by_side_and_all_answer() -> None:
    pool = ConcurrentCheckoutPool.from_url(TEST_REDIS_URL, connection_class=HiredisPackingConnection)
    peak, answers = await _peak_checks(pool, 20)

    assert answers == [True] * 20
    assert peak > 1


async def test_redis_pys_own_pool_still_checks_one_connection_at_a_time() -> None:
    """Why ours exists: when this fails, redis-py's pool no longer serialises its checkouts and ours may go."""
    peak, answers = await _peak_checks(ConnectionPool.from_url(TEST_REDIS_URL), 20)

    assert answers == [True] * 20
    assert peak == 1


async def test_a_connection_whose_check_fails_goes_back_to_the_pool() -> None:
    pool = ConcurrentCheckoutPool.from_url(TEST_REDIS_URL)

    async def refused(connection: object) -> None:
        raise ConnectionError("refused")

    pool.ensure_connection = refused  # type: ignore[method-assign,assignment]
    with pytest.raises(ConnectionError):
        await pool.get_connection("PING")
    assert (len(pool._in_use_connections), len(pool._available_connections)) == (0, 1)
    await pool.disconnect()
