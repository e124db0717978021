"""Local copies of session states: two processes share one cache and one invalidation channel; a revocation on
either is refused by the other at once, and a process that cannot hear the channel keeps no copies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.invalidations import InMemoryInvalidationChannel
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.identity.session_state import LocalCopies, SessionState, SessionStateCache, spread
from src.domain.identity.model import Session, User

USER = "u1"
SESSION = "s1"
NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


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


class RecordingCache(InMemoryCache):
    def __init__(self) -> None:
        super().__init__()
        self.ttls: dict[str, float | None] = {}

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        self.ttls[key] = ttl_seconds
        await super().set(key, value, ttl_seconds)


async def test_states_cached_together_expire_apart_and_a_revoked_one_keeps_its_whole_ttl() -> None:
    """A crowd whose states were cached at once must not all read the database again at once."""
    store, cache = InMemoryStore(), RecordingCache()
    sut = SessionStateCache(cache, 30, 60)
    user = User(id="u1", site_id="u_spread", nickname="Pspread", password_hash="x", created_at=NOW)
    day = NOW + timedelta(days=1)
    sessions = [Session(id=f"s{n}", user_id=user.id, created_at=NOW, last_used_at=NOW, expires_at=day,
                        idle_expires_at=day) for n in range(40)]  # fmt: skip
    async with InMemoryUnitOfWork(store) as uow:
        await uow.users.add(user)
        for session in sessions:
            await uow.sessions.add(session)
        await uow.commit()

    async with InMemoryUnitOfWork(store) as uow:
        for session in sessions:
            await sut.load(uow, session.id, NOW)
        await sut.mark_revoked(["s0"], user.id)

    live = [ttl for key, ttl in cache.ttls.items() if key != "session:s0"]
    assert all(ttl is not None and 22.5 <= ttl <= 30 for ttl in live)
    assert len(set(live)) > 30  # spread, not one instant
    assert cache.ttls["session:s0"] == 60


def test_local_copies_kept_together_expire_apart() -> None:
    now = [100.0]
    spreads = iter([1.0, 0.75, 0.9])
    copies = LocalCopies(10, monotonic=lambda: now[0], spread=lambda: next(spreads))
    copies.set_listening(True)
    for session_id in ("a", "b", "c"):
        copies.keep(session_id, SessionState(True, USER), copies.generation)

    now[0] = 108.0  # past 7.5 s, before 9 s and 10 s
    assert [copies.get(session_id) is not None for session_id in ("a", "b", "c")] == [True, False, True]
    now[0] = 109.5
    assert [copies.get(session_id) is not None for session_id in ("a", "b", "c")] == [True, False, False]


def test_the_spread_is_three_quarters_to_the_whole_ttl() -> None:
    assert all(0.75 <= spread() <= 1.0 for _ in range(1000))
