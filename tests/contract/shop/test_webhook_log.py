"""Contract of the webhook log: memory, SQLite and PostgreSQL store requests and spot redeliveries alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from src.application.shared.pagination import decode_cursor
from tests.contract.wallet.conftest import UnitOfWorkFactory
from tests.support.contention import Hold, contend

NOW = datetime(2031, 7, 1, 9, 0, tzinfo=UTC)


def _event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


async def _record(
    uow_factory: UnitOfWorkFactory, event_id: str | None, verdict: str = "accepted", at: datetime = NOW
) -> str:
    async with uow_factory() as uow:
        request_id = await uow.webhooks.record_request(at, "t=1,v1=ab", b'{"raw": true}', verdict, event_id)
        await uow.commit()
    return request_id


async def test_a_request_is_stored_exactly_as_it_arrived(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()
    body = b'{"event_id":"x",  "odd spacing":\n"kept"}\xff'  # not even valid UTF-8: bytes are bytes
    async with uow_factory() as sut:
        request_id = await sut.webhooks.record_request(NOW, "t=5,v1=00", body, "signature_invalid", event_id)
        await sut.commit()

    async with uow_factory() as sut:
        page = await sut.webhooks.list_requests(10, None, event_id=event_id)

    assert len(page.items) == 1
    stored = page.items[0]
    assert (stored.id, stored.signature, stored.raw_body) == (request_id, "t=5,v1=00", body)
    assert (stored.verdict, stored.event_id, stored.received_at) == ("signature_invalid", event_id, NOW)
    assert stored.received_at.tzinfo is not None
    assert page.next_cursor is None


async def test_a_request_without_header_or_event_id_is_stored(uow_factory: UnitOfWorkFactory) -> None:
    marker = uuid.uuid4().hex.encode()
    async with uow_factory() as sut:
        request_id = await sut.webhooks.record_request(NOW + timedelta(days=400), None, marker, "malformed", None)
        await sut.commit()

    async with uow_factory() as sut:
        newest = (await sut.webhooks.list_requests(1, None)).items[0]

    assert (newest.id, newest.signature, newest.raw_body, newest.event_id) == (request_id, None, marker, None)


async def test_a_request_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()
    async with uow_factory() as sut:
        await sut.webhooks.record_request(NOW, None, b"{}", "accepted", event_id)

    async with uow_factory() as sut:
        assert (await sut.webhooks.list_requests(10, None, event_id=event_id)).items == []


async def test_requests_page_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()
    ids = [await _record(uow_factory, event_id, at=NOW + timedelta(seconds=n)) for n in range(3)]

    async with uow_factory() as sut:
        first = await sut.webhooks.list_requests(2, None, event_id=event_id)
        second = await sut.webhooks.list_requests(2, decode_cursor(first.next_cursor), event_id=event_id)

    assert [request.id for request in first.items] == [ids[2], ids[1]]
    assert first.next_cursor is not None
    assert [request.id for request in second.items] == [ids[0]]
    assert second.next_cursor is None


async def test_the_first_delivery_of_an_event_is_new_and_a_redelivery_is_not(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()
    async with uow_factory() as sut:
        first = await sut.webhooks.first_delivery(event_id, "charge.captured", "ch_1", NOW)
        again_in_the_same_work = await sut.webhooks.first_delivery(event_id, "charge.captured", "ch_1", NOW)
        await sut.commit()

    async with uow_factory() as sut:
        redelivered = await sut.webhooks.first_delivery(event_id, "charge.captured", "ch_1", NOW)

    assert (first, again_in_the_same_work, redelivered) == (True, False, False)


async def test_a_rolled_back_delivery_is_not_remembered(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()
    async with uow_factory() as sut:
        assert await sut.webhooks.first_delivery(event_id, "charge.failed", None, NOW)

    async with uow_factory() as sut:
        assert await sut.webhooks.first_delivery(event_id, "charge.failed", None, NOW)


async def test_events_are_told_apart_by_id_only(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        one = await sut.webhooks.first_delivery(_event_id(), "charge.refunded", "ch_same", NOW)
        other = await sut.webhooks.first_delivery(_event_id(), "charge.refunded", "ch_same", NOW)
        await sut.commit()

    assert (one, other) == (True, True)


async def test_of_two_concurrent_deliveries_exactly_one_is_first(uow_factory: UnitOfWorkFactory) -> None:
    event_id = _event_id()

    async def deliver(hold: Hold) -> bool:
        async with uow_factory() as uow:
            first = await uow.webhooks.first_delivery(event_id, "charge.captured", "ch_2", NOW)
            await hold(uow)  # the first one's row stays uncommitted until the other waits for it
            await uow.commit()
        return first

    outcomes = await contend(deliver, deliver)

    assert sorted(outcomes) == [False, True]


async def test_a_signed_message_arrives_once(uow_factory: UnitOfWorkFactory) -> None:
    key = uuid.uuid4().hex + uuid.uuid4().hex
    async with uow_factory() as sut:
        first = await sut.webhooks.first_arrival(key, NOW)
        await sut.commit()

    async with uow_factory() as sut:
        replayed = await sut.webhooks.first_arrival(key, NOW + timedelta(seconds=5))
        other = await sut.webhooks.first_arrival(uuid.uuid4().hex, NOW)

    assert (first, replayed, other) == (True, False, True)


async def test_a_rolled_back_arrival_is_not_remembered(uow_factory: UnitOfWorkFactory) -> None:
    key = uuid.uuid4().hex
    async with uow_factory() as sut:
        assert await sut.webhooks.first_arrival(key, NOW)

    async with uow_factory() as sut:
        assert await sut.webhooks.first_arrival(key, NOW)


async def test_of_two_concurrent_arrivals_of_one_message_exactly_one_is_first(uow_factory: UnitOfWorkFactory) -> None:
    key = uuid.uuid4().hex

    async def arrive(hold: Hold) -> bool:
        async with uow_factory() as uow:
            first = await uow.webhooks.first_arrival(key, NOW)
            await hold(uow)
            await uow.commit()
        return first

    assert sorted(await contend(arrive, arrive)) == [False, True]


async def test_old_arrivals_are_forgotten_and_young_ones_kept(uow_factory: UnitOfWorkFactory) -> None:
    old, young = uuid.uuid4().hex, uuid.uuid4().hex
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.webhooks.first_arrival(old, long_ago)
        await uow.webhooks.first_arrival(young, long_ago + timedelta(minutes=20))
        await uow.commit()

    async with uow_factory() as sut:
        forgotten = await sut.webhooks.forget_arrivals_before(long_ago + timedelta(minutes=10))
        await sut.commit()

    async with uow_factory() as uow:
        assert await uow.webhooks.first_arrival(old, NOW)
        assert not await uow.webhooks.first_arrival(young, NOW)
    assert forgotten >= 1


async def test_forgetting_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    key = uuid.uuid4().hex
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.webhooks.first_arrival(key, long_ago)
        await uow.commit()

    async with uow_factory() as sut:
        await sut.webhooks.forget_arrivals_before(long_ago + timedelta(seconds=1))

    async with uow_factory() as uow:
        assert not await uow.webhooks.first_arrival(key, NOW)
