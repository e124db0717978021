"""Local copies of session states: two processes share one cache and one invalidation channel; a revocation on
either is refused by the other at once, and a process that cannot hear the channel keeps no copies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest_asyncio

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.invalidations import InMemoryInvalidationChannel
from src.application.identity.session_state import SessionState, SessionStateCache

USER = "u1"
SESSION = "s1"


class CountingCache(InMemoryCache):
    """The shared cache, counting reads (each is a Redis round trip in production)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.reads += 1
        return await super().get_many(keys)


@dataclass
class Deployment:
    cache: CountingCache
    a: SessionStateCache
    b: SessionStateCache


async def _live(sut: SessionStateCache) -> bool:
    state = await sut.get(SESSION)
    return state is not None and state.is_live_for(USER)


@pytest_asyncio.fixture
async def deployment() -> AsyncIterator[Deployment]:
    cache, channel = CountingCache(), InMemoryInvalidationChannel()
    a, b = (SessionStateCache(cache, 30, 60, channel=channel, local_ttl_seconds=60) for _ in range(2))
    tasks = [asyncio.create_task(process.listen()) for process in (a, b)]
    await asyncio.sleep(0)  # one loop turn: both listeners subscribe
    await cache.set(f"session:{SESSION}", SessionState(True, USER).dumps(), 30)
    yield Deployment(cache, a, b)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_listening_process_reads_the_shared_cache_once(deployment: Deployment) -> None:
    assert [await _live(deployment.a) for _ in range(5)] == [True] * 5
    assert deployment.cache.reads == 1


async def test_a_revocation_on_one_process_is_refused_by_the_other_at_once(deployment: Deployment) -> None:
    assert await _live(deployment.b)

    await deployment.a.mark_revoked([SESSION], USER)

    assert not await _live(deployment.b)
    assert not await _live(deployment.a)


async def test_a_forgotten_state_is_read_again(deployment: Deployment) -> None:
    assert await _live(deployment.b)
    await deployment.cache.set(f"session:{SESSION}", SessionState(True, "someone else").dumps(), 30)

    await deployment.a.forget([SESSION])

    assert await deployment.b.get(SESSION) is None  # the next request loads it from the database


async def test_a_read_that_overlaps_a_revocation_is_not_kept() -> None:
    """A read that started before the invalidation may carry the old state: used once, never kept."""
    channel = InMemoryInvalidationChannel()

    class RevokedMidRead(InMemoryCache):
        async def get_many(self, keys: Sequence[str]) -> list[str | None]:
            old = await super().get_many(keys)
            await channel.publish([SESSION])  # another process revokes while this answer travels back
            return old

    cache = RevokedMidRead()
    sut = SessionStateCache(cache, 30, 60, channel=channel, local_ttl_seconds=60)
    task = asyncio.create_task(sut.listen())
    await asyncio.sleep(0)
    await cache.set(f"session:{SESSION}", SessionState(True, USER).dumps(), 30)
    try:
        assert await _live(sut)
        await cache.set(f"session:{SESSION}", SessionState(False, USER).dumps(), 30)

        assert not await _live(sut)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_without_a_listener_every_check_reads_the_shared_cache() -> None:
    cache = CountingCache()
    sut = SessionStateCache(cache, 30, 60, channel=InMemoryInvalidationChannel(), local_ttl_seconds=60)
    await cache.set(f"session:{SESSION}", SessionState(True, USER).dumps(), 30)

    assert [await _live(sut) for _ in range(3)] == [True] * 3
    assert cache.reads == 3
