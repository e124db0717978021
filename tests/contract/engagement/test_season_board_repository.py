"""Contract of the season leaderboard repository: memory, SQLite and PostgreSQL rank alike (score, then who reached
it first, then user id), freeze a season's results once, and pay them in batches until none is left."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.application.engagement.season_ports import ScoreDelta
from src.domain.engagement.battlepass import TrackReward
from src.domain.engagement.seasons import Cadence, RankBand, SeasonBoard, SeasonPeriod
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

pytestmark = pytest.mark.asyncio

AT = datetime(2036, 3, 3, 10, tzinfo=UTC)


def _board() -> SeasonBoard:
    bands = (RankBand(1, 1, TrackReward(100, 1)), RankBand(2, 2, TrackReward(50)))
    return SeasonBoard(f"c_{uuid.uuid4().hex[:10]}", "Contract", "wins", Cadence.DAILY, bands)


def _period(board: SeasonBoard) -> SeasonPeriod:
    return SeasonPeriod(
        f"{board.definition_id}.2036-03-03",
        board.definition_id,
        AT.replace(hour=0),
        AT.replace(hour=0) + timedelta(days=1),
    )


async def _scored(uow_factory: UnitOfWorkFactory, period: SeasonPeriod, scores: list[tuple[str, int, int]]) -> None:
    """(user, delta, minutes after AT) in one write."""
    deltas = [ScoreDelta(period, user, delta, AT + timedelta(minutes=minutes)) for user, delta, minutes in scores]
    async with uow_factory() as uow:
        await uow.season_boards.add_scores(deltas)
        await uow.commit()


async def test_definitions_read_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    board = _board()
    async with uow_factory() as uow:
        await uow.season_boards.save_definition(board, AT)
        await uow.commit()

    async with uow_factory() as sut:
        read = await sut.season_boards.definition(board.definition_id)
        listed = [b for b in await sut.season_boards.definitions() if b.definition_id == board.definition_id]

    assert read == board
    assert listed == [board]


async def test_listed_definitions_follow_a_change(uow_factory: UnitOfWorkFactory) -> None:
    # PostgreSQL parses the listed rows again only when they changed (every relay pass lists them)
    board = _board()
    async with uow_factory() as uow:
        await uow.season_boards.save_definition(board, AT)
        await uow.commit()
    async with uow_factory() as uow:
        before = [b for b in await uow.season_boards.definitions() if b.definition_id == board.definition_id]
        await uow.season_boards.save_definition(replace(board, name="Renamed", enabled=False), AT)
        await uow.commit()
    async with uow_factory() as sut:
        after = [b for b in await sut.season_boards.definitions() if b.definition_id == board.definition_id]

    assert before == [board]
    assert after == [replace(board, name="Renamed", enabled=False)]


async def test_scores_add_up_and_rank_by_score_then_who_reached_it_first(uow_factory: UnitOfWorkFactory) -> None:
    board = _board()
    period = _period(board)
    a, b, c = [await given_user(uow_factory) for _ in range(3)]
    await _scored(uow_factory, period, [(a, 3, 0), (b, 5, 1), (c, 2, 2)])
    await _scored(uow_factory, period, [(c, 3, 3), (a, 2, 4)])  # c reaches 5 before a does

    async with uow_factory() as sut:
        top = await sut.season_boards.top(period.season_id, 10)
        page = await sut.season_boards.top(period.season_id, 1, offset=1)
        ranks = [await sut.season_boards.rank_of(period.season_id, user) for user in (a, b, c)]
        stored = await sut.season_boards.period(period.season_id)

    assert [(s.rank, s.user_id, s.score) for s in top] == [(1, b, 5), (2, c, 5), (3, a, 5)]
    assert [(s.rank, s.user_id) for s in page] == [(2, c)]
    assert [r.rank if r else None for r in ranks] == [3, 1, 2]
    assert stored is not None
    assert (stored.period, stored.frozen_at) == (period, None)


async def test_a_season_freezes_once_and_pays_in_batches_until_settled(uow_factory: UnitOfWorkFactory) -> None:
    board = _board()
    period = _period(board)
    users = [await given_user(uow_factory) for _ in range(3)]
    await _scored(uow_factory, period, [(users[0], 9, 0), (users[1], 5, 0), (users[2], 1, 0)])
    ended = period.ends_at + timedelta(minutes=1)

    async with uow_factory() as sut:
        due = [p.season_id for p in await sut.season_boards.due_periods(ended)]
        await sut.season_boards.freeze(period, board, ended)
        await sut.commit()
    await _scored(uow_factory, period, [(users[2], 100, 5)])  # too late: the results are frozen
    async with uow_factory() as sut:
        await sut.season_boards.freeze(period, board, ended)  # again: nothing changes
        batch = await sut.season_boards.take_unpaid(period.season_id, 1)
        await sut.season_boards.mark_paid(period.season_id, [r.user_id for r in batch], ended)
        await sut.commit()
    async with uow_factory() as sut:
        left = await sut.season_boards.count_unpaid(period.season_id)
        rest = await sut.season_boards.take_unpaid(period.season_id, 10)
        await sut.season_boards.mark_paid(period.season_id, [r.user_id for r in rest], ended)
        await sut.season_boards.mark_period_settled(period.season_id, ended)
        await sut.commit()
    async with uow_factory() as sut:
        results = await sut.season_boards.results(period.season_id, 10, 0)
        after_first = await sut.season_boards.results(period.season_id, 10, 1)
        stored = await sut.season_boards.period(period.season_id)
        still_due = [p.season_id for p in await sut.season_boards.due_periods(ended)]

    assert period.season_id in due
    assert [(r.rank, r.user_id, r.score, r.reward) for r in results] == [
        (1, users[0], 9, TrackReward(100, 1)),
        (2, users[1], 5, TrackReward(50)),
        (3, users[2], 1, TrackReward()),
    ]
    assert [r.user_id for r in batch] == [users[0]]
    assert (left, [r.user_id for r in rest]) == (1, [users[1]])  # the third has no reward: paid at the freeze
    assert all(r.paid_at is not None for r in results)
    assert [r.rank for r in after_first] == [2, 3]
    assert stored is not None
    assert stored.frozen_at is not None
    assert stored.settled_at is not None
    assert period.season_id not in still_due
