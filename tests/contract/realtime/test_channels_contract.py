"""RealtimeChannels: what the realtime hub relies on, on every backend."""

from __future__ import annotations

from collections.abc import Callable

from src.application.realtime.ports import RealtimeChannels
from tests.contract.realtime.conftest import HISTORY, OpenChannels
from tests.support.polling import eventually as poll
from tests.support.realtime import eventually

READY_CHANNEL = "user:ready"
READY = b"ready?"


class Heard:
    """A listener's callback: readiness probes mark it ready, every other message goes to `then`."""

    def __init__(self, then: Callable[[bytes], None] | None = None) -> None:
        self.messages: list[bytes] = []
        self.ready = False
        self._then = then or self.messages.append

    def __call__(self, message: bytes) -> None:
        if message == READY:
            self.ready = True
        else:
            self._then(message)


async def until_listening(publisher: RealtimeChannels, *listeners: Heard) -> None:
    """Probe READY_CHANNEL until every listener heard a probe: from then on their readers see what is published."""

    async def all_ready() -> bool:
        if all(listener.ready for listener in listeners):
            return True
        await publisher.publish(READY_CHANNEL, READY)
        return False

    await poll(all_ready, deadline=10)


async def test_a_listener_gets_what_another_instance_publishes_in_order(open_instance: OpenChannels) -> None:
    listening, publishing = await open_instance(), await open_instance()
    got = Heard()
    async with listening.listen(["user:a", READY_CHANNEL], got):
        await until_listening(publishing, got)
        for n in range(3):
            await publishing.publish("user:a", f"m{n}".encode())
        await eventually(lambda: len(got.messages) >= 3)
    assert got.messages == [b"m0", b"m1", b"m2"]


async def test_a_listener_hears_only_its_channels(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    got = Heard()
    async with sut.listen(["user:a", "broadcast", READY_CHANNEL], got):
        await until_listening(sut, got)
        await sut.publish("user:b", b"not yours")
        await sut.publish("broadcast", b"everyone")
        await sut.publish("user:a", b"yours")
        await sut.publish("user:a", b"last")  # published after the others: once it is heard, they were decided
        await eventually(lambda: b"last" in got.messages)
    assert sorted(got.messages) == [b"everyone", b"last", b"yours"]


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


async def test_forget_drops_one_channels_history_and_keeps_the_others(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    await sut.publish("user:erased", b"theirs")
    await sut.publish("user:kept", b"mine")

    await sut.forget("user:erased")
    await sut.forget("user:never")

    assert await sut.history("user:erased", HISTORY) == []
    assert await sut.history("user:kept", HISTORY) == [b"mine"]


async def test_a_failing_listener_does_not_stop_the_others(open_instance: OpenChannels) -> None:
    sut = await open_instance()
    got = Heard()
    failures: list[bytes] = []

    def broken(message: bytes) -> None:
        failures.append(message)
        raise RuntimeError("listener bug")

    failing = Heard(broken)
    async with sut.listen(["broadcast", READY_CHANNEL], failing), sut.listen(["broadcast", READY_CHANNEL], got):
        await until_listening(sut, failing, got)
        await sut.publish("broadcast", b"one")
        await sut.publish("broadcast", b"two")
        await eventually(lambda: len(got.messages) >= 2)
    assert got.messages == [b"one", b"two"]
    assert failures[0] == b"one"  # the broken listener was listening, and raised


async def test_listeners_of_one_channel_each_get_every_message(open_instance: OpenChannels) -> None:
    first_instance, second_instance = await open_instance(), await open_instance()
    first, second = Heard(), Heard()
    async with (
        first_instance.listen(["broadcast", READY_CHANNEL], first),
        second_instance.listen(["broadcast", READY_CHANNEL], second),
    ):
        await until_listening(first_instance, first, second)
        await first_instance.publish("broadcast", b"hello")
        await eventually(lambda: first.messages and second.messages)
    assert first.messages == second.messages == [b"hello"]


async def test_publish_many_keeps_the_order_for_listeners_and_history(open_instance: OpenChannels) -> None:
    listening, publishing = await open_instance(), await open_instance()
    got = Heard()
    async with listening.listen(["user:m", "broadcast", READY_CHANNEL], got):
        await until_listening(publishing, got)
        await publishing.publish_many([("user:m", b"1"), ("broadcast", b"2"), ("user:m", b"3")])
        await eventually(lambda: len(got.messages) >= 3)
    assert [item for item in got.messages if item != b"2"] == [b"1", b"3"]
    assert await publishing.history("user:m", HISTORY) == [b"1", b"3"]
    assert await publishing.history("broadcast", HISTORY) == [b"2"]
