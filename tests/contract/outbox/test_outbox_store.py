"""Contract of the OutboxStore the relay reads, with the units of work that fill it: memory, SQLite, PostgreSQL.

Every test runs once per adapter (ids "memory", "sqlite", "postgres"). The PostgreSQL outbox is shared with the
rest of the session, so each test records events with fresh ids and follows only those, except where it compares
`unpublished` with itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from src.application.shared.outbox import OutboxMessage
from src.domain.shared.events import DomainEvent
from tests.contract.wallet.conftest import Adapter

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
EVERYTHING = 1_000_000


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    event_type: ClassVar[str] = "Pinged"
    aggregate_type: ClassVar[str] = "probe"

    seq: int
    note: str = "hello"


def _pings(count: int) -> list[Pinged]:
    aggregate_id = uuid.uuid4().hex
    return [Pinged(aggregate_id=aggregate_id, occurred_at=NOW + timedelta(seconds=n), seq=n) for n in range(count)]


async def _committed(adapter: Adapter, *events: DomainEvent) -> None:
    async with adapter.uow_factory() as uow:
        for event in events:
            uow.record(event)
        await uow.commit()


async def _mine(adapter: Adapter, events: list[Pinged]) -> list[OutboxMessage]:
    ids = {event.event_id for event in events}
    return [message for message in await adapter.outbox.unpublished(EVERYTHING) if message.event_id in ids]


async def test_committed_events_are_unpublished_in_commit_order(adapter: Adapter) -> None:
    events = _pings(3)
    await _committed(adapter, events[0], events[1])
    await _committed(adapter, events[2])

    mine = await _mine(adapter, events)

    assert [message.event_id for message in mine] == [event.event_id for event in events]
    positions = [message.position for message in mine]
    assert positions == sorted(positions)
    assert len(set(positions)) == 3
    first = mine[0]
    assert (first.event_type, first.aggregate_type, first.aggregate_id) == ("Pinged", "probe", events[0].aggregate_id)
    assert (first.payload, first.created_at) == (events[0].payload(), NOW)
    assert (first.payload["seq"], first.payload["note"]) == (0, "hello")


async def test_unpublished_returns_the_oldest_up_to_the_limit(adapter: Adapter) -> None:
    await _committed(adapter, *_pings(3))

    everything = await adapter.outbox.unpublished(EVERYTHING)
    oldest = await adapter.outbox.unpublished(2)

    assert len(everything) >= 3
    assert oldest == everything[:2]
    assert [message.position for message in everything] == sorted(message.position for message in everything)


async def test_published_events_are_no_longer_unpublished(adapter: Adapter) -> None:
    events = _pings(3)
    await _committed(adapter, *events)
    first, second, third = await _mine(adapter, events)

    await adapter.outbox.mark_published([first.position, third.position], NOW)
    left = await _mine(adapter, events)
    await adapter.outbox.mark_published([second.position], NOW)

    assert left == [second]
    assert await _mine(adapter, events) == []


async def test_events_of_a_rolled_back_unit_of_work_never_reach_the_outbox(adapter: Adapter) -> None:
    dropped_on_exit, dropped_on_rollback, kept = _pings(3)

    async with adapter.uow_factory() as uow:
        uow.record(dropped_on_exit)
    async with adapter.uow_factory() as uow:
        uow.record(dropped_on_rollback)
        await uow.rollback()
        uow.record(kept)
        await uow.commit()

    assert [message.event_id for message in await _mine(adapter, [dropped_on_exit, dropped_on_rollback, kept])] == [
        kept.event_id
    ]


# SQLite runs every transaction as BEGIN IMMEDIATE, so the relay's read cannot run while a writer is open there:
# this check of a concurrent reader applies to the engines that allow one.
@pytest.mark.parametrize("adapter", ["memory", "postgres"], indirect=True)
async def test_the_relay_sees_an_event_only_once_its_unit_of_work_commits(adapter: Adapter) -> None:
    events = _pings(1)

    async with adapter.uow_factory() as uow:
        uow.record(events[0])
        before_commit = await _mine(adapter, events)
        await uow.commit()

    assert before_commit == []
    assert [message.event_id for message in await _mine(adapter, events)] == [events[0].event_id]
