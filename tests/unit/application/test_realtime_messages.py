"""Realtime ids and history: one id per event (however often it is delivered), resume with gap detection."""

from __future__ import annotations

from src.adapters.realtime.channels import open_channels
from src.application.realtime.messages import (
    BROADCAST_CHANNEL,
    HistoryReader,
    MessageDecoder,
    RealtimeMessage,
    user_channel,
)
from tests.unit.application.realtime_support import NOW, realtime


async def test_an_event_delivered_twice_keeps_its_first_id_and_is_replayed_once() -> None:
    async with realtime() as rt:
        sut = rt.hub.publisher
        first = await sut.to_user("ev1", "u1", "reward_granted", {"amount": 1}, NOW)
        again = await sut.to_user("ev1", "u1", "reward_granted", {"amount": 1}, NOW)
        replay = await rt.hub.history.since("u1", 0)

    assert again.id == first.id
    assert again.prev == first.prev
    assert [message.id for message in replay.messages] == [first.id]


async def test_ids_grow_across_a_users_channel_and_the_broadcast_channel() -> None:
    async with realtime() as rt:
        sut = rt.hub.publisher
        ids = [
            (await sut.to_user("a", "u1", "x", {}, NOW)).id,
            (await sut.to_everyone("b", "announcement", {}, NOW)).id,
            (await sut.to_user("c", "u2", "x", {}, NOW)).id,
            (await sut.to_user("d", "u1", "x", {}, NOW)).id,
        ]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4


async def test_each_message_names_the_previous_id_on_its_own_channel() -> None:
    async with realtime() as rt:
        sut = rt.hub.publisher
        first = await sut.to_user("a", "u1", "x", {}, NOW)
        await sut.to_everyone("b", "announcement", {}, NOW)
        second = await sut.to_user("c", "u1", "x", {}, NOW)
    assert second.prev == first.id


async def test_the_stored_form_round_trips_and_clients_get_id_type_data_ts() -> None:
    message = RealtimeMessage.create(7, 3, "user", "notification", {"title": "hi"}, "2026-12-01T09:00:00.000Z")

    assert RealtimeMessage.decode(message.encode()) == message
    assert RealtimeMessage.decode(b"{not json") is None
    assert message.wire == '{"id":7,"type":"notification","data":{"title":"hi"},"ts":"2026-12-01T09:00:00.000Z"}'


async def test_a_resume_gets_every_later_message_of_both_channels_in_id_order() -> None:
    async with realtime() as rt:
        sut = rt.hub.publisher
        seen = await sut.to_user("a", "u1", "x", {}, NOW)
        later = [
            await sut.to_everyone("b", "announcement", {}, NOW),
            await sut.to_user("c", "u1", "x", {}, NOW),
            await sut.to_everyone("d", "announcement", {}, NOW),
        ]
        await sut.to_user("e", "someone-else", "x", {}, NOW)
        replay = await rt.hub.history.since("u1", seen.id)
    assert replay.complete
    assert [message.id for message in replay.messages] == [message.id for message in later]


async def test_a_resume_past_the_kept_history_is_incomplete() -> None:
    async with realtime(history_size=2) as rt:
        sut = rt.hub.publisher
        seen = await sut.to_user("a", "u1", "x", {}, NOW)
        for event_id in ("b", "c", "d"):
            await sut.to_user(event_id, "u1", "x", {}, NOW)
        replay = await rt.hub.history.since("u1", seen.id)
        recent = await rt.hub.history.since("u1", replay.messages[0].id - 1)
    assert not replay.complete
    assert len(replay.messages) == 2
    assert recent.complete


async def test_a_resume_after_the_history_expired_is_incomplete() -> None:
    async with realtime() as rt:
        seen = await rt.hub.publisher.to_user("a", "u1", "x", {}, NOW)
        await rt.hub.publisher.to_user("b", "u1", "x", {}, NOW)
        # the same sequencer (pointers) over channels whose history is gone, as after REALTIME_HISTORY_TTL_SECONDS
        async with open_channels(None, namespace="t:", history=10, history_ttl_seconds=60, block_ms=10) as fresh:
            assert await fresh.history(user_channel("u1"), 10) == []
            reader = HistoryReader(fresh, rt.ids, rt.hub.config, MessageDecoder())
            expired = await reader.since("u1", seen.id)
            up_to_date = await reader.since("u1", seen.id + 10)
    assert not expired.complete
    assert up_to_date.complete


async def test_no_announcement_ever_and_nothing_new_is_a_complete_resume() -> None:
    async with realtime() as rt:
        seen = await rt.hub.publisher.to_user("a", "u1", "x", {}, NOW)
        replay = await rt.hub.history.since("u1", seen.id)
        assert await rt.channels.history(BROADCAST_CHANNEL, 10) == []
    assert replay.complete
    assert replay.messages == []
