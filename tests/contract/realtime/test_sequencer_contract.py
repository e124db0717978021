"""RealtimeSequencer: message ids shared by every process, on the in-memory adapter and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from src.adapters.memory.realtime_ids import InMemoryRealtimeSequencer
from src.adapters.redis.packing import HiredisPackingConnection
from src.adapters.redis.realtime_ids import RedisRealtimeSequencer
from src.application.realtime.ports import IdRequest, RealtimeSequencer
from tests.support.clocks import FakeClock
from tests.support.env import TEST_REDIS_URL
from tests.support.redis_keys import delete_namespace, new_namespace

TTL = 60.0
MakeSequencer = Callable[[], RealtimeSequencer]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
async def make_sequencer(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[MakeSequencer]:
    """Each call is another process on the same state (Redis: one more sequencer on the namespace)."""
    if request.param == "memory":
        shared = InMemoryRealtimeSequencer(monotonic=clock.monotonic)
        yield lambda: shared
        return
    namespace, client = new_namespace(), Redis.from_url(TEST_REDIS_URL, connection_class=HiredisPackingConnection)
    try:
        yield lambda: RedisRealtimeSequencer(client, namespace)
    finally:
        await delete_namespace(client, namespace)
        await client.aclose()


@pytest.fixture
def elapse(request: pytest.FixtureRequest, clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    """Let time pass for the sequencer: the in-memory one's clock moves at once; Redis keeps time on its server,
    so its leg is a test of real time and waits for it."""
    in_memory = request.node.callspec.params["make_sequencer"] == "memory"

    async def elapse(seconds: float) -> None:
        if in_memory:
            clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)

    return elapse


def _user(event_id: str, user: str = "u1") -> IdRequest:
    return IdRequest(event_id, f"user:{user}", pointer_ttl_seconds=TTL, prev_if_unknown=-1)


def _everyone(event_id: str) -> IdRequest:
    return IdRequest(event_id, "broadcast", pointer_ttl_seconds=None, prev_if_unknown=0)


async def test_new_events_take_growing_ids_linked_per_channel(make_sequencer: MakeSequencer) -> None:
    sut = make_sequencer()
    pairs = await sut.assign([_user("a"), _everyone("b"), _user("c"), _user("d", "u2")], TTL)
    (a, a_prev), (b, b_prev), (c, c_prev), (d, d_prev) = pairs
    assert a < b < c < d
    assert (a_prev, b_prev, c_prev, d_prev) == (-1, 0, a, -1)
    assert await sut.last_id("user:u1") == c
    assert await sut.last_id("broadcast") == b
    assert await sut.last_id("user:nobody") is None


async def test_an_event_numbered_before_keeps_its_pair_and_the_pointer_its_highest(
    make_sequencer: MakeSequencer,
) -> None:
    first, second = make_sequencer(), make_sequencer()
    [(a, _)] = await first.assign([_user("a")], TTL)
    [(b, b_prev)] = await first.assign([_user("b")], TTL)
    again = await second.assign([_user("a"), _user("b"), _user("c")], TTL)
    assert again[:2] == [(a, -1), (b, b_prev)]
    assert again[2][1] == b  # the new one links to the newest id on the channel
    assert await second.last_id("user:u1") == again[2][0]


async def test_concurrent_passes_never_share_an_id(make_sequencer: MakeSequencer) -> None:
    sequencers = [make_sequencer() for _ in range(4)]
    batches = await asyncio.gather(
        *(sut.assign([_user(f"{n}-{i}", f"u{i % 3}") for i in range(25)], TTL) for n, sut in enumerate(sequencers))
    )
    ids = [id for batch in batches for id, _ in batch]
    assert len(set(ids)) == 100


async def test_after_its_ttl_an_event_is_numbered_anew(
    make_sequencer: MakeSequencer, elapse: Callable[[float], Awaitable[None]]
) -> None:
    sut = make_sequencer()
    [(first, _)] = await sut.assign([_user("short")], 0.05)
    await elapse(0.15)
    [(again, _)] = await sut.assign([_user("short")], 0.05)
    assert again > first
