"""Contract of the Cache port's attempt windows (reserve / fail / release): the same for memory and Redis.

An attempt window bounds how many checks of one key may run or have failed at once: the login lockout takes a
slot before each password verification. Windows and locks are short (0.2-0.3 s) and pass by `elapse` (at once in
memory, waited for on Redis); a check that something left waits at least 30 ms past its deadline, a check that
something is still there has at least 70 ms of room.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from src.adapters.redis.cache import RedisCache
from src.application.shared.ports import Cache
from tests.contract.cache.conftest import Elapse

MakeRedisCache = Callable[..., Awaitable[RedisCache]]

pytestmark = pytest.mark.asyncio

LIMIT = 3
WINDOW = 5.0
LOCK = 8.0


def _attempt() -> str:
    return uuid.uuid4().hex


async def _reserve(sut: Cache, key: str = "login:alice", window: float = WINDOW) -> tuple[bool, str]:
    attempt = _attempt()
    decision = await sut.reserve_attempt(key, attempt, LIMIT, window)
    return decision.allowed, attempt


async def _fail(sut: Cache, attempt: str, key: str = "login:alice", window: float = WINDOW, lock: float = LOCK) -> bool:
    return await sut.fail_attempt(key, attempt, LIMIT, window, lock)


async def test_reserve_gives_limit_slots_then_refuses_until_the_oldest_leaves_the_window(sut: Cache) -> None:
    allowed = [await sut.reserve_attempt("login:alice", _attempt(), LIMIT, WINDOW) for _ in range(LIMIT)]

    refused = await sut.reserve_attempt("login:alice", _attempt(), LIMIT, WINDOW)

    assert [(d.allowed, d.count) for d in allowed] == [(True, 1), (True, 2), (True, 3)]
    assert (refused.allowed, refused.count) == (False, LIMIT)
    assert 0 < refused.retry_after_seconds <= WINDOW


async def test_only_limit_of_many_concurrent_reservations_get_a_slot(sut: Cache) -> None:
    decisions = await asyncio.gather(
        *(sut.reserve_attempt("login:burst", _attempt(), LIMIT, WINDOW) for _ in range(60))
    )

    assert sum(decision.allowed for decision in decisions) == LIMIT


async def test_a_failure_keeps_its_slot_and_a_release_frees_it(sut: Cache) -> None:
    slots = [await _reserve(sut) for _ in range(LIMIT)]
    await _fail(sut, slots[0][1])

    refused_after_failure, _ = await _reserve(sut)
    await sut.release_attempt("login:alice", slots[1][1])
    after_release, _ = await _reserve(sut)

    assert refused_after_failure is False
    assert after_release is True


async def test_the_limit_th_failure_locks_the_key_for_the_lock_time(sut: Cache) -> None:
    slots = [await _reserve(sut) for _ in range(LIMIT)]

    locked_by = [await _fail(sut, attempt) for _, attempt in slots]
    refused = await sut.reserve_attempt("login:alice", _attempt(), LIMIT, WINDOW)

    assert locked_by == [False, False, True]
    assert (refused.allowed, refused.count) == (False, 0)
    assert WINDOW < refused.retry_after_seconds <= LOCK  # the lock's end, not the window's


async def test_a_lock_ends_after_the_lock_time_with_an_empty_window(sut: Cache, elapse: Elapse) -> None:
    for _, attempt in [await _reserve(sut) for _ in range(LIMIT)]:
        await _fail(sut, attempt, lock=0.2)
    await elapse(0.23)

    decisions = [await sut.reserve_attempt("login:alice", _attempt(), LIMIT, WINDOW) for _ in range(LIMIT)]

    assert [(d.allowed, d.count) for d in decisions] == [(True, 1), (True, 2), (True, 3)]


async def test_a_failure_while_locked_changes_nothing(sut: Cache, elapse: Elapse) -> None:
    slots = [await _reserve(sut) for _ in range(LIMIT)]
    for _, attempt in slots:
        await _fail(sut, attempt, lock=0.3)

    late = await _fail(sut, _attempt(), lock=5)  # would restart a 5 s lock if it counted
    await elapse(0.33)

    assert late is False
    assert (await _reserve(sut))[0] is True


async def test_a_success_forgets_the_failures_but_not_the_other_running_attempts(sut: Cache) -> None:
    (_, failed), _running, (_, succeeding) = [await _reserve(sut) for _ in range(LIMIT)]
    await _fail(sut, failed)

    await sut.release_attempt("login:alice", succeeding, forget_failures=True)
    decisions = [await sut.reserve_attempt("login:alice", _attempt(), LIMIT, WINDOW) for _ in range(LIMIT)]

    assert [(d.allowed, d.count) for d in decisions] == [(True, 2), (True, 3), (False, 3)]  # 1: the running one


async def test_running_attempts_survive_a_success_elsewhere_and_may_still_lock(sut: Cache) -> None:
    (_, running), (_, succeeding) = await _reserve(sut), await _reserve(sut)
    await sut.release_attempt("login:alice", succeeding, forget_failures=True)
    later = [await _reserve(sut) for _ in range(LIMIT - 1)]

    refused, _ = await _reserve(sut)
    locked_by = [await _fail(sut, attempt) for attempt in (running, *(a for _, a in later))]

    assert refused is False  # the running attempt still held its slot
    assert locked_by == [False, False, True]


async def test_slots_never_settled_leave_with_the_window(sut: Cache, elapse: Elapse) -> None:
    for _ in range(LIMIT):
        await _reserve(sut, window=0.2)  # e.g. the process died while verifying
    refused, _ = await _reserve(sut, window=0.2)
    await elapse(0.23)

    after_window = await sut.reserve_attempt("login:alice", _attempt(), LIMIT, 0.2)

    assert refused is False
    assert (after_window.allowed, after_window.count) == (True, 1)


async def test_failures_slide_out_of_the_window(sut: Cache, elapse: Elapse) -> None:
    first = [await _reserve(sut, window=0.2) for _ in range(LIMIT - 1)]
    for _, attempt in first:
        await _fail(sut, attempt, window=0.2)  # t=0
    await elapse(0.23)
    (_, last) = await _reserve(sut, window=0.2)

    locked = await _fail(sut, last, window=0.2)  # the limit-th failure, but the others have left the window

    assert locked is False


async def test_keys_are_counted_separately_and_delete_resets_one(sut: Cache) -> None:
    for _, attempt in [await _reserve(sut) for _ in range(LIMIT)]:
        await _fail(sut, attempt)

    other_key, _ = await _reserve(sut, key="login:bob")
    await sut.delete("login:alice")
    after_delete, _ = await _reserve(sut)

    assert other_key is True
    assert after_delete is True


async def test_limit_zero_refuses_every_attempt(sut: Cache) -> None:
    decision = await sut.reserve_attempt("login:nobody", _attempt(), 0, WINDOW)

    assert (decision.allowed, decision.count) == (False, 0)
    assert 0 < decision.retry_after_seconds <= WINDOW


async def test_two_redis_instances_share_one_attempt_window_under_concurrency(
    make_redis_cache: MakeRedisCache,
) -> None:
    sut, other_instance = await make_redis_cache(), await make_redis_cache()

    decisions = await asyncio.gather(
        *(
            instance.reserve_attempt("login:shared", _attempt(), LIMIT, WINDOW)
            for _ in range(30)
            for instance in (sut, other_instance)
        )
    )
    refused = await other_instance.reserve_attempt("login:shared", _attempt(), LIMIT, WINDOW)

    assert sum(decision.allowed for decision in decisions) == LIMIT
    assert refused.allowed is False


async def test_concurrent_failures_on_two_redis_instances_lock_exactly_once(make_redis_cache: MakeRedisCache) -> None:
    sut, other_instance = await make_redis_cache(), await make_redis_cache()
    attempts = [_attempt() for _ in range(LIMIT)]
    for attempt in attempts:
        assert (await sut.reserve_attempt("login:shared", attempt, LIMIT, WINDOW)).allowed

    locked_by = await asyncio.gather(
        *(
            (sut, other_instance)[n % 2].fail_attempt("login:shared", attempt, LIMIT, WINDOW, LOCK)
            for n, attempt in enumerate(attempts)
        )
    )

    assert sorted(locked_by) == [False, False, True]
    assert (await sut.reserve_attempt("login:shared", _attempt(), LIMIT, WINDOW)).allowed is False
