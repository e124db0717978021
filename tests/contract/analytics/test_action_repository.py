"""Contract of the action repository: memory, SQLite and PostgreSQL store, page and purge tracked actions alike."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from src.application.shared.pagination import decode_cursor
from src.domain.analytics.actions import PlayerAction
from src.domain.shared.events import new_event_id
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

pytestmark = pytest.mark.asyncio

TRACKED = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _action(user_id: str, minutes: int = 0, **overrides: object) -> PlayerAction:
    fields: dict[str, object] = {
        "action_id": new_event_id(),
        "user_id": user_id,
        "action_type": "screen_view",
        "context": {"screen": "lobby", "nested": {"list": [1, "two", {"three": 3.5}], "flag": True, "none": None}},
        "client_ts": TRACKED - timedelta(seconds=3),
        "tracked_at": TRACKED + timedelta(minutes=minutes),
    }
    return PlayerAction(**(fields | overrides))  # type: ignore[arg-type]


async def _add(uow_factory: UnitOfWorkFactory, *actions: PlayerAction) -> None:
    async with uow_factory() as uow:
        await uow.actions.add_many(actions)
        await uow.commit()


async def test_actions_read_back_equal_newest_first_and_only_the_players(uow_factory: UnitOfWorkFactory) -> None:
    user_id, other_id = await given_user(uow_factory), await given_user(uow_factory)
    older, newer = _action(user_id, 0, client_ts=None), _action(user_id, 5, action_type="custom:x")
    await _add(uow_factory, older, newer, _action(other_id, 9))

    async with uow_factory() as sut:
        page = await sut.actions.recent(user_id, 10, None)

    assert page.items == [newer, older]
    assert page.next_cursor is None


async def test_pages_resume_after_the_cursor_and_ties_break_by_id(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    same_time = [_action(user_id, 1) for _ in range(3)]
    await _add(uow_factory, _action(user_id, 0), *same_time)

    async with uow_factory() as sut:
        first = await sut.actions.recent(user_id, 2, None)
        second = await sut.actions.recent(user_id, 2, decode_cursor(first.next_cursor))

    ids = [action.action_id for action in first.items + second.items]
    assert ids[:3] == sorted((action.action_id for action in same_time), reverse=True)
    assert len(set(ids)) == 4
    assert second.next_cursor is None


async def test_nothing_is_visible_before_commit(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as uow:
        await uow.actions.add_many([_action(user_id)])  # left without commit

    async with uow_factory() as sut:
        assert (await sut.actions.recent(user_id, 10, None)).items == []


async def test_purge_deletes_only_actions_before_the_cutoff_in_batches(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    # far older than anything other tests of the shared database store, so the cutoff sees only these
    cutoff = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=random.randrange(10**8))
    old = [_action(user_id, tracked_at=cutoff - timedelta(minutes=n + 1)) for n in range(3)]
    kept = _action(user_id, tracked_at=cutoff)
    await _add(uow_factory, *old, kept)

    async with uow_factory() as sut:
        first = await sut.actions.delete_before(cutoff, 2)
        await sut.commit()
    async with uow_factory() as sut:
        second = await sut.actions.delete_before(cutoff, 2)
        await sut.commit()
    async with uow_factory() as sut:
        left = await sut.actions.recent(user_id, 10, None)

    assert (first, second) == (2, 1)
    assert left.items == [kept]
