"""Contract of the Cache port: InMemoryCache and RedisCache must behave the same.

Every test that takes `sut` runs once per adapter (ids "memory" and "redis"); the tests at the end
are Redis-only and check how namespaces separate or share state between RedisCache instances.
Timings use short TTLs/windows (0.1-0.2 s) and `elapse`: the in-memory clock moves at once; on Redis it waits,
so a check that something expired waits at least 30 ms past the deadline (a wait never ends early) and a check
that something is still alive has at least 70 ms of room.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from src.adapters.redis.cache import RedisCache
from src.application.shared.ports import Cache
from tests.contract.cache.conftest import Elapse

MakeRedisCache = Callable[..., Awaitable[RedisCache]]

pytestmark = pytest.mark.asyncio

# Redis keeps milliseconds; leave a little room when comparing remaining times with elapsed ones.
CLOCK_SLACK = 0.02
# Redis keeps a window's time on its server, so its leg waits for real: windows of 1 s that a test needs a member
# still inside of, so that a stalled loop on a loaded machine (up to 0.35 s between two calls) cannot drop it
WINDOW = 1.0


# --- get / set -----------------------------------------------------------------------------------------------------


async def test_get_returns_the_value_that_was_set(sut: Cache) -> None:
    await sut.set("greeting", "héllo wörld")

    value = await sut.get("greeting")

    assert value == "héllo wörld"


async def test_get_many_returns_the_values_in_the_order_asked_with_none_for_missing(sut: Cache) -> None:
    await sut.set("a", "1")
    await sut.set("c", "3")

    values = await sut.get_many(["c", "missing", "a", "c"])

    assert values == ["3", None, "1", "3"]


async def test_get_many_of_nothing_is_empty(sut: Cache) -> None:
    assert await sut.get_many([]) == []


async def test_get_many_does_not_return_expired_values(sut: Cache, elapse: Elapse) -> None:
    await sut.set("short", "x", ttl_seconds=0.1)
    await sut.set("long", "y", ttl_seconds=30)

    await elapse(0.15)

    assert await sut.get_many(["short", "long"]) == [None, "y"]


async def test_get_of_missing_key_returns_none(sut: Cache) -> None:
    value = await sut.get("never-set")

    assert value is None


async def test_set_overwrites_value_and_a_set_without_ttl_drops_the_previous_ttl(sut: Cache) -> None:
    await sut.set("key", "first", ttl_seconds=10)

    await sut.set("key", "second")

    assert await sut.get("key") == "second"
    assert await sut.ttl("key") is None


async def test_value_set_with_ttl_expires(sut: Cache, elapse: Elapse) -> None:
    await sut.set("session", "abc", ttl_seconds=0.1)
    assert await sut.get("session") == "abc"

    await elapse(0.15)

    assert await sut.get("session") is None
    assert await sut.ttl("session") is None


# --- ttl -----------------------------------------------------------------------------------------------------------


async def test_ttl_of_missing_key_is_none(sut: Cache) -> None:
    remaining = await sut.ttl("never-set")

    assert remaining is None


async def test_ttl_of_key_without_expiry_is_none(sut: Cache) -> None:
    await sut.set("forever", "1")

    remaining = await sut.ttl("forever")

    assert remaining is None


async def test_ttl_of_expiring_key_is_positive_and_at_most_the_ttl_set(sut: Cache) -> None:
    await sut.set("short", "1", ttl_seconds=1.5)

    remaining = await sut.ttl("short")

    assert remaining is not None
    assert 0 < remaining <= 1.5


# --- set_if_absent -------------------------------------------------------------------------------------------------


async def test_set_if_absent_only_the_first_writer_wins(sut: Cache) -> None:
    first = await sut.set_if_absent("idempotency", "request-1", ttl_seconds=5)

    second = await sut.set_if_absent("idempotency", "request-2", ttl_seconds=5)

    assert first is True
    assert second is False
    assert await sut.get("idempotency") == "request-1"


async def test_set_if_absent_applies_its_ttl(sut: Cache) -> None:
    await sut.set_if_absent("idempotency", "request-1", ttl_seconds=2)

    remaining = await sut.ttl("idempotency")

    assert remaining is not None
    assert 0 < remaining <= 2


async def test_set_if_absent_fails_on_a_key_written_by_set(sut: Cache) -> None:
    await sut.set("taken", "by-set")

    written = await sut.set_if_absent("taken", "by-set-if-absent", ttl_seconds=5)

    assert written is False
    assert await sut.get("taken") == "by-set"


async def test_set_if_absent_succeeds_again_after_expiry(sut: Cache, elapse: Elapse) -> None:
    await sut.set_if_absent("idempotency", "request-1", ttl_seconds=0.1)
    await elapse(0.15)

    written = await sut.set_if_absent("idempotency", "request-2", ttl_seconds=5)

    assert written is True
    assert await sut.get("idempotency") == "request-2"


# --- delete --------------------------------------------------------------------------------------------------------


async def test_delete_removes_the_key(sut: Cache) -> None:
    await sut.set("doomed", "1", ttl_seconds=10)

    await sut.delete("doomed")

    assert await sut.get("doomed") is None
    assert await sut.ttl("doomed") is None
    assert await sut.set_if_absent("doomed", "again", ttl_seconds=10) is True


async def test_delete_of_missing_key_does_nothing(sut: Cache) -> None:
    await sut.set("kept", "1")

    await sut.delete("never-set")

    assert await sut.get("never-set") is None
    assert await sut.get("kept") == "1"


# --- incr ----------------------------------------------------------------------------------------------------------


async def test_incr_starts_a_new_counter_at_amount_and_adds_to_it(sut: Cache) -> None:
    first = await sut.incr("counter")
    second = await sut.incr("counter", amount=5)
    third = await sut.incr("counter", amount=-2)

    assert (first, second, third) == (1, 6, 4)
    assert await sut.get("counter") == "4"


async def test_incr_is_atomic_under_concurrency(sut: Cache) -> None:
    results = await asyncio.gather(*(sut.incr("concurrent", ttl_seconds=10) for _ in range(200)))

    assert sorted(results) == list(range(1, 201))
    assert await sut.get("concurrent") == "200"


async def test_incr_without_ttl_never_expires(sut: Cache) -> None:
    await sut.incr("forever")

    remaining = await sut.ttl("forever")

    assert remaining is None


async def test_incr_gives_a_new_counter_the_ttl(sut: Cache) -> None:
    await sut.incr("window", ttl_seconds=0.3)

    remaining = await sut.ttl("window")

    assert remaining is not None
    assert 0 < remaining <= 0.3


async def test_incr_later_increments_do_not_extend_the_window(sut: Cache, elapse: Elapse) -> None:
    await sut.incr("window", ttl_seconds=0.2)  # t=0: the window ends at t=0.2
    await elapse(0.1)

    second = await sut.incr("window", ttl_seconds=0.2)  # t=0.1: an extending counter would end at t=0.3
    remaining = await sut.ttl("window")
    await elapse(0.13)  # t=0.23
    after_window = await sut.incr("window", ttl_seconds=0.2)

    assert second == 2
    assert remaining is not None
    assert 0 < remaining <= 0.1 + CLOCK_SLACK
    assert after_window == 1


# --- locks ---------------------------------------------------------------------------------------------------------


async def test_acquire_lock_returns_a_token_and_a_second_acquire_gets_none(sut: Cache) -> None:
    token = await sut.acquire_lock("lock:job", ttl_seconds=5)

    second = await sut.acquire_lock("lock:job", ttl_seconds=5)

    assert isinstance(token, str)
    assert token
    assert second is None


async def test_only_one_of_many_concurrent_acquires_gets_the_lock(sut: Cache) -> None:
    tokens = await asyncio.gather(*(sut.acquire_lock("lock:job", ttl_seconds=5) for _ in range(50)))

    winners = [token for token in tokens if token is not None]
    assert len(winners) == 1


async def test_release_with_a_wrong_token_fails_and_keeps_the_lock(sut: Cache) -> None:
    token = await sut.acquire_lock("lock:job", ttl_seconds=5)
    assert token is not None

    released = await sut.release_lock("lock:job", "not-the-owner")

    assert released is False
    assert await sut.acquire_lock("lock:job", ttl_seconds=5) is None


async def test_release_with_the_owner_token_frees_the_lock(sut: Cache) -> None:
    token = await sut.acquire_lock("lock:job", ttl_seconds=5)
    assert token is not None

    released = await sut.release_lock("lock:job", token)

    assert released is True
    assert await sut.release_lock("lock:job", token) is False
    assert await sut.acquire_lock("lock:job", ttl_seconds=5) is not None


async def test_release_of_a_lock_never_taken_fails(sut: Cache) -> None:
    released = await sut.release_lock("lock:none", "any-token")

    assert released is False


async def test_lock_expires_after_its_ttl_and_the_old_owner_cannot_release_the_new_one(
    sut: Cache, elapse: Elapse
) -> None:
    old_token = await sut.acquire_lock("lock:job", ttl_seconds=0.1)
    assert old_token is not None
    await elapse(0.15)

    new_token = await sut.acquire_lock("lock:job", ttl_seconds=5)
    released_by_old_owner = await sut.release_lock("lock:job", old_token)

    assert new_token is not None
    assert new_token != old_token
    assert released_by_old_owner is False
    assert await sut.acquire_lock("lock:job", ttl_seconds=5) is None


async def test_the_owner_extends_its_lock_past_the_first_ttl_and_no_one_else_can(sut: Cache, elapse: Elapse) -> None:
    token = await sut.acquire_lock("lock:lease", ttl_seconds=0.2)
    assert token is not None

    by_stranger = await sut.extend_lock("lock:lease", "not-the-owner", ttl_seconds=5)
    by_owner = await sut.extend_lock("lock:lease", token, ttl_seconds=5)
    await elapse(0.3)

    assert (by_stranger, by_owner) == (False, True)
    assert await sut.acquire_lock("lock:lease", ttl_seconds=5) is None  # still held after the first ttl
    assert await sut.release_lock("lock:lease", token) is True


async def test_a_lapsed_lock_cannot_be_extended(sut: Cache, elapse: Elapse) -> None:
    token = await sut.acquire_lock("lock:lease", ttl_seconds=0.1)
    assert token is not None
    await elapse(0.15)

    assert await sut.extend_lock("lock:lease", token, ttl_seconds=5) is False


# --- hit_rate_limit ------------------------------------------------------------------------------------------------


async def test_rate_limit_allows_the_first_n_hits_and_refuses_the_next(sut: Cache) -> None:
    allowed = [await sut.hit_rate_limit("rl:user", limit=3, window_seconds=2) for _ in range(3)]

    refused = await sut.hit_rate_limit("rl:user", limit=3, window_seconds=2)

    assert [decision.allowed for decision in allowed] == [True, True, True]
    assert [decision.count for decision in allowed] == [1, 2, 3]
    assert refused.allowed is False
    assert refused.count == 3
    assert 0 < refused.retry_after_seconds <= 2


async def test_rate_limit_retry_after_is_when_the_oldest_hit_leaves_the_window(sut: Cache, elapse: Elapse) -> None:
    await sut.hit_rate_limit("rl:user", limit=1, window_seconds=WINDOW)  # t=0
    await elapse(0.25)

    refused = await sut.hit_rate_limit("rl:user", limit=1, window_seconds=WINDOW)  # t=0.25: the hit leaves at t=1
    await elapse(refused.retry_after_seconds + 0.03)
    after_retry = await sut.hit_rate_limit("rl:user", limit=1, window_seconds=WINDOW)

    assert refused.allowed is False
    assert 0 < refused.retry_after_seconds <= 0.75 + CLOCK_SLACK
    assert after_retry.allowed is True


async def test_rate_limit_allows_again_after_the_window_and_does_not_count_refused_hits(
    sut: Cache, elapse: Elapse
) -> None:
    await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)
    await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)
    await elapse(0.4)
    refused = [await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW) for _ in range(5)]
    await elapse(0.65)  # t=1.05: the two allowed hits (t=0) are out; refused ones (t=0.4) would still be in

    decision = await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)

    assert [d.allowed for d in refused] == [False] * 5
    assert [d.count for d in refused] == [2] * 5
    assert decision.allowed is True
    assert decision.count == 1


async def test_rate_limit_window_slides_instead_of_resetting(sut: Cache, elapse: Elapse) -> None:
    await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)  # t=0
    await elapse(0.4)
    await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)  # t=0.4
    await elapse(0.65)  # t=1.05: the first hit has left the window, the second stays until t=1.4

    first = await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)
    second = await sut.hit_rate_limit("rl:user", limit=2, window_seconds=WINDOW)

    assert first.allowed is True
    assert first.count == 2
    assert second.allowed is False


async def test_rate_limit_allows_exactly_the_limit_under_concurrency(sut: Cache) -> None:
    decisions = await asyncio.gather(*(sut.hit_rate_limit("rl:burst", limit=10, window_seconds=5) for _ in range(50)))

    allowed = [decision for decision in decisions if decision.allowed]
    assert len(allowed) == 10
    assert sorted(decision.count for decision in allowed) == list(range(1, 11))


async def test_rate_limit_keys_are_counted_separately(sut: Cache) -> None:
    await sut.hit_rate_limit("rl:alice", limit=1, window_seconds=5)

    decision = await sut.hit_rate_limit("rl:bob", limit=1, window_seconds=5)

    assert decision.allowed is True
    assert (await sut.hit_rate_limit("rl:alice", limit=1, window_seconds=5)).allowed is False


async def test_rate_limit_with_limit_zero_refuses_every_hit(sut: Cache) -> None:
    decision = await sut.hit_rate_limit("rl:blocked", limit=0, window_seconds=2)

    assert decision.allowed is False
    assert decision.count == 0
    assert 0 < decision.retry_after_seconds <= 2


async def test_delete_resets_a_rate_limit(sut: Cache) -> None:
    await sut.hit_rate_limit("rl:login", limit=1, window_seconds=5)
    assert (await sut.hit_rate_limit("rl:login", limit=1, window_seconds=5)).allowed is False

    await sut.delete("rl:login")

    assert (await sut.hit_rate_limit("rl:login", limit=1, window_seconds=5)).allowed is True


# --- add_to_window -------------------------------------------------------------------------------------------------


async def test_add_to_window_returns_the_number_of_distinct_members(sut: Cache) -> None:
    members = ("phone", "laptop", "phone", "tablet")

    counts = [await sut.add_to_window("devices", member, window_seconds=5) for member in members]

    assert counts == [1, 2, 2, 3]


async def test_add_to_window_drops_members_not_seen_within_the_window(sut: Cache, elapse: Elapse) -> None:
    await sut.add_to_window("devices", "phone", window_seconds=WINDOW)  # t=0
    await sut.add_to_window("devices", "tablet", window_seconds=WINDOW)  # t=0
    await elapse(0.4)
    await sut.add_to_window("devices", "laptop", window_seconds=WINDOW)  # t=0.4
    seen = await sut.add_to_window("devices", "phone", window_seconds=WINDOW)  # t=0.4: phone seen again
    await elapse(0.65)  # t=1.05: tablet is out; phone (seen again) and laptop are in until t=1.4

    count = await sut.add_to_window("devices", "desktop", window_seconds=WINDOW)

    assert seen == 3
    assert count == 3


async def test_add_to_windows_adds_each_member_to_its_window_as_add_to_window_does(sut: Cache) -> None:
    await sut.add_to_window("attempts", "a1", window_seconds=5)

    counts = await sut.add_to_windows([("attempts", "a2"), ("cards", "visa"), ("attempts", "a2")], window_seconds=5)

    assert counts == [2, 1, 2]
    assert await sut.add_to_windows([], window_seconds=5) == []
    assert await sut.add_to_window("cards", "amex", window_seconds=5) == 2


async def test_add_to_windows_drops_members_not_seen_within_the_window(sut: Cache, elapse: Elapse) -> None:
    await sut.add_to_windows([("attempts", "a1"), ("cards", "visa")], window_seconds=WINDOW)  # t=0
    await elapse(0.4)
    await sut.add_to_windows([("attempts", "a2"), ("cards", "amex")], window_seconds=WINDOW)  # t=0.4
    await elapse(0.65)  # t=1.05: the first two are out, the second two in until t=1.4

    counts = await sut.add_to_windows([("attempts", "a3"), ("cards", "amex")], window_seconds=WINDOW)

    assert counts == [2, 1]


# --- ping ----------------------------------------------------------------------------------------------------------


async def test_ping_succeeds(sut: Cache) -> None:
    result = await sut.ping()

    assert result is None


# --- Redis only: namespaces ----------------------------------------------------------------------------------------


async def test_redis_caches_with_different_namespaces_do_not_see_each_others_keys(
    make_redis_cache: MakeRedisCache,
) -> None:
    sut = await make_redis_cache("a:")
    other = await make_redis_cache("b:")
    await other.set("shared-name", "other's value")
    await other.incr("counter", amount=7)
    await other.acquire_lock("lock:job", ttl_seconds=5)
    await other.hit_rate_limit("rl:user", limit=1, window_seconds=5)

    value = await sut.get("shared-name")
    count = await sut.incr("counter")
    token = await sut.acquire_lock("lock:job", ttl_seconds=5)
    decision = await sut.hit_rate_limit("rl:user", limit=1, window_seconds=5)
    await sut.delete("shared-name")

    assert value is None
    assert count == 1
    assert token is not None
    assert decision.allowed is True
    assert await other.get("shared-name") == "other's value"


async def test_redis_caches_with_the_same_namespace_share_counters(make_redis_cache: MakeRedisCache) -> None:
    sut = await make_redis_cache()
    other_instance = await make_redis_cache()
    await other_instance.incr("counter", amount=3, ttl_seconds=10)

    count = await sut.incr("counter", ttl_seconds=10)

    assert count == 4
    assert await other_instance.get("counter") == "4"


async def test_redis_caches_with_the_same_namespace_share_locks(make_redis_cache: MakeRedisCache) -> None:
    sut = await make_redis_cache()
    other_instance = await make_redis_cache()
    token = await other_instance.acquire_lock("lock:job", ttl_seconds=5)
    assert token is not None

    blocked = await sut.acquire_lock("lock:job", ttl_seconds=5)
    released_by_owner = await other_instance.release_lock("lock:job", token)
    after_release = await sut.acquire_lock("lock:job", ttl_seconds=5)

    assert blocked is None
    assert released_by_owner is True
    assert after_release is not None


async def test_redis_caches_with_the_same_namespace_share_one_rate_limit(make_redis_cache: MakeRedisCache) -> None:
    sut = await make_redis_cache()
    other_instance = await make_redis_cache()

    decisions = await asyncio.gather(
        *(
            instance.hit_rate_limit("rl:user", limit=10, window_seconds=5)
            for _ in range(25)
            for instance in (sut, other_instance)
        )
    )

    assert sum(decision.allowed for decision in decisions) == 10
