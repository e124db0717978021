"""One connection's frames and the hub's connections: ordering, no duplicates, slow readers, caps, revocation."""

from __future__ import annotations

import asyncio
import json

import pytest

from src.application.realtime.connection import CloseCode, Connection, Frame
from src.domain.realtime.errors import TooManyConnections
from tests.support.realtime import eventually
from tests.unit.application.realtime_support import NOW, principal, realtime


async def _drain(connection: Connection) -> list[Frame]:
    frames = []
    while True:
        try:
            async with asyncio.timeout(0.05):
                frame = await connection.next()
        except TimeoutError:
            return frames
        if frame is None or frame.type == "heartbeat":
            return frames
        frames.append(frame)


async def test_what_was_published_before_connecting_is_left_to_resume() -> None:
    async with realtime() as rt:
        before = await rt.hub.publisher.to_user("a", "u1", "x", {}, NOW)
        async with rt.hub.connect(principal()) as sut:
            after = await rt.hub.publisher.to_user("b", "u1", "x", {}, NOW)
            live = await _drain(sut)
            await sut.resume(0)
            replayed = await _drain(sut)
    assert [frame.id for frame in live] == [after.id]
    assert [frame.id for frame in replayed if frame.id is not None] == [before.id]  # not `after` again


async def test_a_message_delivered_twice_is_sent_once() -> None:
    async with realtime() as rt, rt.hub.connect(principal()) as sut:
        message = await rt.hub.publisher.to_user("a", "u1", "x", {"n": 1}, NOW)
        sut.deliver(message.encode())
        await rt.hub.publisher.to_user("a", "u1", "x", {"n": 1}, NOW)  # the relay delivering it again
        frames = await _drain(sut)
    assert [frame.id for frame in frames] == [message.id]
    assert json.loads(frames[0].wire) == {"id": message.id, "type": "x", "data": {"n": 1}, "ts": message.ts}


async def test_resume_merges_the_replay_with_what_is_still_queued_in_id_order() -> None:
    async with realtime() as rt:
        seen = await rt.hub.publisher.to_user("a", "u1", "x", {}, NOW)
        missed = await rt.hub.publisher.to_user("b", "u1", "x", {}, NOW)
        async with rt.hub.connect(principal()) as sut:
            queued = await rt.hub.publisher.to_everyone("c", "announcement", {}, NOW)
            await sut.resume(seen.id)
            frames = await _drain(sut)
    assert [frame.id for frame in frames] == [missed.id, queued.id]


async def test_a_reader_that_falls_behind_is_told_where_to_resume_and_closed() -> None:
    async with realtime(queue_size=3) as rt, rt.hub.connect(principal()) as sut:
        first = await rt.hub.publisher.to_user("e0", "u1", "x", {}, NOW)
        assert (await sut.next()) is not None  # one frame read, then the reader stalls
        for n in range(1, 6):
            await rt.hub.publisher.to_user(f"e{n}", "u1", "x", {}, NOW)
        frames = await _drain(sut)
        after = await sut.next()
    assert [frame.type for frame in frames] == ["overflow"]
    assert json.loads(frames[0].wire)["data"]["last_event_id"] == first.id
    assert after is None
    assert sut.close_code is CloseCode.TRY_AGAIN_LATER


async def test_a_slow_reader_does_not_hold_up_another_users_connection() -> None:
    async with (
        realtime(queue_size=2) as rt,
        rt.hub.connect(principal("slow", "s1")) as slow,
        rt.hub.connect(principal("fast", "s2")) as fast,
    ):
        for n in range(5):
            await rt.hub.publisher.to_everyone(f"a{n}", "announcement", {"n": n}, NOW)
            frame = await fast.next()
            assert frame is not None
            assert json.loads(frame.wire)["data"] == {"n": n}
    assert slow.close_code is CloseCode.TRY_AGAIN_LATER


async def test_a_quiet_connection_gets_heartbeats() -> None:
    async with realtime(heartbeat_seconds=0.05) as rt, rt.hub.connect(principal()) as sut:
        frame = await sut.next()
    assert frame is not None
    assert frame.type == "heartbeat"
    assert frame.id is None


async def test_the_cap_counts_each_users_connections_on_this_instance() -> None:
    async with realtime(max_connections_per_user=2) as rt:
        async with rt.hub.connect(principal()), rt.hub.connect(principal(session_id="s2")):
            with pytest.raises(TooManyConnections):
                async with rt.hub.connect(principal()):
                    pass
            async with rt.hub.connect(principal("u2")):
                assert rt.hub.connection_count() == 3
        async with rt.hub.connect(principal()):
            assert rt.hub.connection_count("u1") == 1


async def test_revoked_sessions_are_closed_and_the_others_stay() -> None:
    async with (
        realtime() as rt,
        rt.hub.connect(principal("u1", "gone")) as revoked,
        rt.hub.connect(principal("u1", "kept")) as kept,
    ):
        rt.sessions.revoked.add("gone")
        closed = await rt.hub.check_sessions()
        assert await revoked.next() is None
    assert closed == 1
    assert revoked.close_code is CloseCode.SESSION_REVOKED
    assert kept.close_code is None


async def test_one_pass_checks_every_open_session_in_one_batch() -> None:
    async with (
        realtime() as rt,
        rt.hub.connect(principal("u1", "s1")),
        rt.hub.connect(principal("u1", "s1")),
        rt.hub.connect(principal("u1", "s2")),
        rt.hub.connect(principal("u2", "s3")),
    ):
        await rt.hub.check_sessions()
    assert rt.sessions.checks == [[("s1", "u1"), ("s2", "u1"), ("s3", "u2")]]


async def test_with_no_open_connection_nothing_is_checked() -> None:
    async with realtime() as rt:
        assert await rt.hub.check_sessions() == 0
    assert rt.sessions.checks == []


async def test_when_the_session_store_cannot_answer_connections_are_kept() -> None:
    async with realtime() as rt, rt.hub.connect(principal()) as sut:
        rt.sessions.failing = True
        assert await rt.hub.check_sessions() == 0
    assert sut.close_code is None


async def test_the_watch_closes_a_revoked_session_within_its_interval() -> None:
    async with realtime(session_check_seconds=0.05) as rt, rt.hub.connect(principal()) as sut:
        watch = asyncio.create_task(rt.hub.watch_sessions())
        rt.sessions.revoked.add("s1")
        try:
            await eventually(lambda: sut.close_code is not None, within_seconds=1)
        finally:
            watch.cancel()
    assert sut.close_code is CloseCode.SESSION_REVOKED


async def test_a_push_transport_is_told_of_queued_frames_at_once_and_of_the_close() -> None:
    async with realtime() as rt, rt.hub.connect(principal()) as sut:
        sent: list[Frame] = []
        notified_closed: list[CloseCode | None] = []

        def write_all() -> None:
            while (frame := sut.pop()) is not None:
                sent.append(frame)
            notified_closed.append(sut.close_code)

        early = await rt.hub.publisher.to_user("a", "u1", "x", {}, NOW)
        await eventually(lambda: sut.queued == 1, within_seconds=1)
        sut.on_frames(write_all)  # what queued before is handed over at once
        assert [frame.id for frame in sent] == [early.id]
        later = await rt.hub.publisher.to_everyone("b", "announcement", {}, NOW)
        await eventually(lambda: len(sent) == 2, within_seconds=1)
        sut.close(CloseCode.SESSION_REVOKED, "revoked")
    assert [frame.id for frame in sent] == [early.id, later.id]
    assert sut.last_sent_id == later.id
    assert notified_closed[-1] is CloseCode.SESSION_REVOKED
    assert sut.pop() is None
