"""The relay's pass lock in the cache: what it costs per pass, and that it still keeps passes apart.

A process's waiting passes queue on a local lock (one of them at a time asks the cache), and a drain takes the lock
once for its passes in a row, extending it when a run of passes outlasts a third of its ttl. A looping relay waits a
busy gap after a pass that found work, so the commits landing meanwhile go in one pass."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.outbox import InMemoryOutboxStore
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.application.shared.outbox import OutboxMessage, OutboxRelay
from src.application.shared.passes import PassLock, PassLoop
from src.domain.identity.events import UserSignedUp
from tests.support.clocks import FakeClock
from tests.support.polling import eventually

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


class CountingCache(InMemoryCache):
    """Counts the lock calls, and which tasks made the attempts to take it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.attempting: set[asyncio.Task[object] | None] = set()

    async def acquire_lock(self, key: str, ttl_seconds: float) -> str | None:
        self.calls["acquire"] += 1
        self.attempting.add(asyncio.current_task())
        return await super().acquire_lock(key, ttl_seconds)

    async def release_lock(self, key: str, token: str) -> bool:
        self.calls["release"] += 1
        return await super().release_lock(key, token)

    async def extend_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        self.calls["extend"] += 1
        return await super().extend_lock(key, token, ttl_seconds)


async def _committed(store: InMemoryStore, count: int) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        for n in range(count):
            uow.record(UserSignedUp(aggregate_id=f"user-{n}", occurred_at=NOW, site_id=f"u_{n}", nickname=f"N{n}",
                                      invite_code="INVITE"))  # fmt: skip
        await uow.commit()


def _relay(store: InMemoryStore, cache: InMemoryCache, log: list[str], batch_size: int = 200) -> OutboxRelay:
    async def record(message: OutboxMessage) -> None:
        log.append(message.aggregate_id)

    return OutboxRelay(
        InMemoryOutboxStore(store), {"UserSignedUp": [record]}, cache, FakeClock(NOW), batch_size=batch_size
    )


async def test_a_drain_of_several_passes_takes_the_lock_once() -> None:
    store, cache, log = InMemoryStore(), CountingCache(), []
    await _committed(store, 5)
    sut = _relay(store, cache, log, batch_size=2)

    published = await sut.drain()

    assert published == 5
    assert len(log) == 5
    assert cache.calls == {"acquire": 1, "release": 1}  # three passes; two round trips per pass before


async def test_passes_of_one_process_waiting_for_the_lock_queue_locally_and_one_asks_the_cache() -> None:
    store, cache, log = InMemoryStore(), CountingCache(), []
    await _committed(store, 3)
    sut = _relay(store, cache, log)
    elsewhere = await cache.acquire_lock(OutboxRelay.LOCK_KEY, 30)  # a pass of another process runs
    assert elsewhere is not None

    drains = [asyncio.create_task(sut.drain(wait_seconds=5)) for _ in range(10)]
    await eventually(lambda: _true(cache.calls["acquire"] >= 6), deadline=5)  # the waiting one polls the cache
    polling = set(cache.attempting)
    await cache.release_lock(OutboxRelay.LOCK_KEY, elsewhere)
    published = await asyncio.gather(*drains)

    assert len(polling - {asyncio.current_task()}) == 1  # before: each of the ten polled every 10 ms
    assert sorted(published) == [0] * 9 + [3]
    assert sorted(log) == ["user-0", "user-1", "user-2"]


async def test_a_pass_that_does_not_wait_is_refused_at_once_while_another_of_its_process_runs() -> None:
    cache = CountingCache()
    sut = PassLock(cache, "passes", 30)
    token = await sut.acquire(0)
    assert token is not None

    refused = await sut.acquire(0)
    await sut.release(token)
    again = await sut.acquire(0)

    assert refused is None
    assert again is not None
    assert cache.calls["acquire"] == 2  # the refused one never asked the cache


async def test_a_lock_kept_over_a_long_run_of_passes_is_extended_and_lost_once_it_lapsed() -> None:
    cache, now = CountingCache(), [0.0]
    sut = PassLock(cache, "passes", 30, monotonic=lambda: now[0])
    token = await sut.acquire(0)
    assert token is not None

    early = await sut.keep(token)
    now[0] = 11.0  # past a third of the ttl
    extended = await sut.keep(token)
    await cache.release_lock("passes", token)  # as if it lapsed: another process may take it now
    taken_elsewhere = await cache.acquire_lock("passes", 30)
    now[0] = 22.0
    lost = await sut.keep(token)

    assert (early, extended, lost) == (True, True, False)
    assert taken_elsewhere is not None
    assert cache.calls["extend"] == 2


async def _true(value: bool) -> bool:
    return value


async def test_a_loop_waits_its_busy_gap_after_a_pass_that_found_work_and_the_commits_meanwhile_make_one_pass() -> None:
    pending: list[int] = []
    passes_run: list[list[int]] = []
    paused, resume = asyncio.Event(), asyncio.Event()
    pauses: list[float] = []

    async def drain() -> int:
        taken = list(pending)
        pending.clear()
        passes_run.append(taken)
        return len(taken)

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        paused.set()
        await resume.wait()
        resume.clear()

    loop = PassLoop("test", drain, None, busy_gap_seconds=0.1, pause=pause)
    task = asyncio.create_task(loop.run_forever(poll_interval_seconds=60))
    try:
        await eventually(lambda: _true(passes_run == [[]]))  # an idle pass: no gap, it waits for a wake-up
        pending.append(1)
        loop.notify()
        async with asyncio.timeout(15):  # a deadline for a failing loop, not a timing
            await paused.wait()  # the pass that found work is followed by the gap
        paused.clear()
        for commit in (2, 3):  # two commits during the gap, each waking the loop
            pending.append(commit)
            loop.notify()
        resume.set()
        async with asyncio.timeout(15):
            await paused.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert passes_run == [[], [1], [2, 3]]
    assert pauses == [0.1, 0.1]


async def _true(value: bool) -> bool:
    return value
