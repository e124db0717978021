"""Contract of the VIP running totals, the tier history and the streak calendar: memory, SQLite and PostgreSQL
count an event once, add per player, never lower the earned tier, and page the history alike."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from src.application.engagement.ports import ProgressDelta
from src.application.shared.pagination import decode_cursor
from src.domain.engagement.streak import PROTECTED, TICKED, DayMark
from src.domain.engagement.vip import VipTierChange, VipTotals
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
CONSUMER = "vip_progress_contract"


def _event() -> str:
    return uuid.uuid4().hex


async def _add(uow_factory: UnitOfWorkFactory, deltas: list[ProgressDelta]) -> list[VipTotals]:
    async with uow_factory() as sut:
        moved = await sut.vip_progress.add(CONSUMER, deltas, NOW)
        await sut.commit()
    return sorted(moved, key=lambda totals: totals.user_id)


async def test_deltas_add_up_per_player_and_a_redelivered_event_counts_nothing(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = sorted([await given_user(uow_factory), await given_user(uow_factory)])
    first = [
        ProgressDelta(_event(), alice, 0, 1),
        ProgressDelta(_event(), bob, 499, 0),
        ProgressDelta(_event(), alice, 0, 10),
    ]

    moved = await _add(uow_factory, first)
    again = await _add(uow_factory, [*first, later := ProgressDelta(_event(), alice, -100, 1)])

    assert moved == [VipTotals(alice, 0, 11, 0), VipTotals(bob, 499, 0, 0)]
    assert again == [VipTotals(alice, later.spent_cents, 12, 0)]  # only the new event counted


async def test_uncommitted_totals_leave_no_trace_and_the_event_can_count_later(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    delta = ProgressDelta(_event(), user, 0, 5)

    async with uow_factory() as sut:
        await sut.vip_progress.add(CONSUMER, [delta], NOW)

    assert await _add(uow_factory, [delta]) == [VipTotals(user, 0, 5, 0)]


async def test_the_earned_tier_is_raised_and_never_lowered(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    await _add(uow_factory, [ProgressDelta(_event(), user, 0, 1)])

    async with uow_factory() as sut:
        await sut.vip_progress.set_earned(user, 3)
        await sut.vip_progress.set_earned(user, 2)
        await sut.commit()

    assert await _add(uow_factory, [ProgressDelta(_event(), user, 0, 1)]) == [VipTotals(user, 0, 2, 3)]


def _change(user: str, to_tier: int, minutes: int) -> VipTierChange:
    return VipTierChange(user, to_tier - 1, to_tier, "earned", NOW + timedelta(minutes=minutes), _event())


async def test_history_keeps_each_event_once_and_pages_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    user, stranger = await given_user(uow_factory), await given_user(uow_factory)
    changes = [_change(user, 1, 0), _change(user, 2, 5), _change(user, 3, 10), _change(stranger, 1, 1)]
    async with uow_factory() as sut:
        await sut.vip_history.add(changes)
        await sut.vip_history.add(changes[:2])
        await sut.commit()

    async with uow_factory() as sut:
        first = await sut.vip_history.list_for(user, 2, None)
        assert first.next_cursor is not None
        rest = await sut.vip_history.list_for(user, 2, decode_cursor(first.next_cursor))

    assert [change.to_tier for change in first.items] == [3, 2]
    assert rest.items == [changes[0]]
    assert rest.next_cursor is None


async def test_the_calendar_returns_a_players_marks_within_the_range_once(uow_factory: UnitOfWorkFactory) -> None:
    user, stranger = await given_user(uow_factory), await given_user(uow_factory)
    may = [DayMark(date(2031, 5, 6), TICKED), DayMark(date(2031, 5, 8), PROTECTED), DayMark(date(2031, 5, 9), TICKED)]
    async with uow_factory() as sut:
        await sut.streak_days.mark(user, may)
        await sut.streak_days.mark(user, [may[0], DayMark(date(2031, 6, 1), TICKED)])
        await sut.streak_days.mark(stranger, [DayMark(date(2031, 5, 7), TICKED)])
        await sut.commit()

    async with uow_factory() as sut:
        marks = await sut.streak_days.between(user, date(2031, 5, 1), date(2031, 5, 31))

    assert marks == may


async def test_marks_past_retention_are_forgotten_and_the_rest_still_refuse_a_redelivery(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user = await given_user(uow_factory)
    consumer = f"forget_{uuid.uuid4().hex[:8]}"
    old, recent = ProgressDelta(_event(), user, 0, 1), ProgressDelta(_event(), user, 0, 1)
    async with uow_factory() as sut:
        await sut.vip_progress.add(consumer, [old], NOW - timedelta(days=9))
        await sut.vip_progress.add(consumer, [recent], NOW)
        await sut.commit()

    async with uow_factory() as sut:
        forgotten = await sut.vip_progress.forget_events(consumer, NOW - timedelta(days=8))
        await sut.commit()
    async with uow_factory() as sut:
        moved = await sut.vip_progress.add(consumer, [recent], NOW)

    assert forgotten == 1
    assert moved == []
