"""Contract of what a relay pass handed to the exporter asks of the outbox, on each adapter (memory, SQLite,
PostgreSQL): which of its events wait for export (none at all while events the relay published earlier wait: the
pass must not overtake them), and one write that marks them published and exported.

The database is this module's own: the exporter's lag is a property of the whole outbox, so each test first
settles whatever earlier tests left (everything published and exported)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from src.domain.shared.events import DomainEvent
from tests.contract.wallet.conftest import Adapter

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
EVERYTHING = 1_000_000


@pytest.fixture
def pg_url(module_pg_url: str) -> str:
    return module_pg_url


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    event_type: ClassVar[str] = "Pinged"
    aggregate_type: ClassVar[str] = "probe"

    seq: int


async def _settled(outbox: Any) -> None:
    """Nothing unpublished, nothing waiting for export."""
    while pending := await outbox.unpublished(EVERYTHING):
        positions = [message.position for message in pending]
        await outbox.mark_published(positions, NOW, positions)
    while lagging := await outbox.unexported(EVERYTHING):
        await outbox.mark_exported([message.position for message in lagging], NOW)
    assert await outbox.export_backlog() == 0


async def _committed(adapter: Adapter, count: int) -> list[int]:
    """The positions of `count` new events, in commit order."""
    events = [Pinged(aggregate_id=uuid.uuid4().hex, occurred_at=NOW, seq=n) for n in range(count)]
    async with adapter.uow_factory() as uow:
        for event in events:
            uow.record(event)
        await uow.commit()
    ids = {event.event_id for event in events}
    return [message.position for message in await adapter.outbox.unpublished(EVERYTHING) if message.event_id in ids]


async def _unexported(outbox: Any) -> list[int]:
    return [message.position for message in await outbox.unexported(EVERYTHING)]


async def test_a_pass_marked_published_and_exported_in_one_write_leaves_no_backlog(adapter: Adapter) -> None:
    outbox = adapter.outbox
    await _settled(outbox)
    positions = await _committed(adapter, 3)

    assert await outbox.pending_export(positions) == positions
    await outbox.mark_published(positions, NOW, positions)

    assert await outbox.unpublished(EVERYTHING) == []
    assert await _unexported(outbox) == []
    assert await outbox.export_backlog() == 0


async def test_nothing_is_pending_for_a_pass_while_events_published_earlier_wait_for_export(adapter: Adapter) -> None:
    outbox = adapter.outbox
    await _settled(outbox)
    earlier = await _committed(adapter, 2)
    await outbox.mark_published(earlier, NOW)  # the relay's pass, not exported (a failing sink, say)
    later = await _committed(adapter, 2)

    assert await outbox.pending_export(later) is None
    assert await _unexported(outbox) == earlier + later  # the exporter's own order: the earlier ones first
    assert await outbox.export_backlog() == 4

    await outbox.mark_exported(earlier, NOW)  # the exporter caught up with them
    assert await outbox.pending_export(later) == later


async def test_events_the_exporter_already_took_are_not_pending(adapter: Adapter) -> None:
    outbox = adapter.outbox
    await _settled(outbox)
    positions = await _committed(adapter, 3)
    await outbox.mark_exported(positions[:1], NOW)  # the exporter ran ahead of the relay

    assert await outbox.pending_export(positions) == positions[1:]
    await outbox.mark_published(positions, NOW, positions[1:])

    assert await outbox.unpublished(EVERYTHING) == []
    assert await outbox.export_backlog() == 0
