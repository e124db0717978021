"""RealtimeChannels: what the realtime hub relies on, on every backend."""

from __future__ import annotations

import asyncio

from tests.contract.realtime.conftest import HISTORY, OpenChannels
from tests.support.realtime import eventually


async def test_a_listener_gets_what_another_instance_publishes_in_order(open_instance: OpenChannels) -> None:
    listening, publishing = await open_instance(), await open_instance()
    got: list[bytes] = []
    async with listening.listen(["user:a"], got.append):
        await asyncio.sleep(0.1)  # the reader has picked the stream up
        for n in range(3):
            await publishing.publish("user:a", f"m{n}".encode())
        await eventually(lambda: len(got) >= 3)
    assert got == [b"m0", b"m1", b"m2"]


async def test_a_listener_hears_only_its_channels(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    got: list[bytes] = []
    async with sut.listen(["user:a", "broadcast"], got.append):
        await asyncio.sleep(0.1)
        await sut.publish("user:b", b"not yours")
        await sut.publish("broadcast", b"everyone")
        await sut.publish("user:a", b"yours")
        await eventually(lambda: len(got) >= 2)
        await asyncio.sleep(0.1)
    assert sorted(got) == [b"everyone", b"yours"]


async def test_history_keeps_the_newest_messages_oldest_first(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    for n in range(HISTORY + 3):
        await sut.publish("user:h", f"m{n}".encode())
    newest = await sut.history("user:h", HISTORY)
    assert newest == [f"m{n}".encode() for n in range(3, HISTORY + 3)]
    assert await sut.history("user:h", 2) == [f"m{n}".encode() for n in (HISTORY + 1, HISTORY + 2)]
    assert await sut.history("user:nobody", HISTORY) == []


async def test_history_outlives_the_last_listener(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    async with sut.listen(["user:gone"], lambda _: None):
        await sut.publish("user:gone", b"while connected")
    await sut.publish("user:gone", b"after the disconnect")
    assert await sut.history("user:gone", HISTORY) == [b"while connected", b"after the disconnect"]


async def test_a_failing_listener_does_not_stop_the_others(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    got: list[bytes] = []

    def broken(_: bytes) -> None:
        raise RuntimeError("listener bug")

    async with sut.listen(["broadcast"], broken), sut.listen(["broadcast"], got.append):
        await asyncio.sleep(0.1)
        await sut.publish("broadcast", b"one")
        await sut.publish("broadcast", b"two")
        await eventually(lambda: len(got) >= 2)
    assert got == [b"one", b"two"]


async def test_listeners_of_one_channel_each_get_every_message(open_instance: OpenChannels) -> None:
    first_instance, second_instance = await open_instance(), await open_instance()
    first: list[bytes] = []
    second: list[bytes] = []
    async with first_instance.listen(["broadcast"], first.append), second_instance.listen(["broadcast"], second.append):
        await asyncio.sleep(0.1)
        await first_instance.publish("broadcast", b"hello")
        await eventually(lambda: first and second)
    assert first == second == [b"hello"]


async def test_publish_many_keeps_the_order_for_listeners_and_history(open_instance: OpenChannels) -> None:
    listening, publishing = await open_instance(), await open_instance()
    got: list[bytes] = []
    async with listening.listen(["user:m", "broadcast"], got.append):
        await asyncio.sleep(0.1)
        await publishing.publish_many([("user:m", b"1"), ("broadcast", b"2"), ("user:m", b"3")])
        await eventually(lambda: len(got) >= 3)
    assert [item for item in got if item != b"2"] == [b"1", b"3"]
    assert await publishing.history("user:m", HISTORY) == [b"1", b"3"]
    assert await publishing.history("broadcast", HISTORY) == [b"2"]
