"""Contract of the battle pass repository: memory, SQLite and PostgreSQL keep seasons, standings, claims and the
consumer inbox alike; a claim is recorded once, even when two arrive together."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.engagement.battlepass import BattlePassSeason, PassProgress, Track, XpTable, default_levels
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import until_waiting

pytestmark = pytest.mark.asyncio

START = datetime(2035, 1, 1, tzinfo=UTC)


def _season(**changes: object) -> BattlePassSeason:
    season = BattlePassSeason(
        f"c_{uuid.uuid4().hex[:12]}",
        "Contract",
        START,
        START + timedelta(days=30),
        default_levels(),
        XpTable(10, 1, 500),
        500,
    )
    return replace(season, **changes)  # type: ignore[arg-type]


async def _saved(uow_factory: UnitOfWorkFactory, season: BattlePassSeason) -> BattlePassSeason:
    async with uow_factory() as uow:
        await uow.battlepass.save_season(season, START)
        await uow.commit()
    return season


async def test_a_saved_season_reads_back_equal_and_a_replacement_keeps_its_settlement(
    uow_factory: UnitOfWorkFactory,
) -> None:
    season = await _saved(uow_factory, _season())
    async with uow_factory() as uow:
        # listed once before the changes: PostgreSQL parses the listed rows again only when they changed
        before = [s for s in await uow.battlepass.seasons() if s.season_id == season.season_id]
        await uow.battlepass.mark_settled(season.season_id, START + timedelta(days=31))
        await uow.commit()
    await _saved(uow_factory, replace(season, name="Renamed", enabled=False))

    async with uow_factory() as sut:
        read = await sut.battlepass.season(season.season_id)
        listed = [s for s in await sut.battlepass.seasons() if s.season_id == season.season_id]

    assert before == [season]
    assert read == replace(season, name="Renamed", enabled=False, settled_at=START + timedelta(days=31))
    assert listed == [read]


async def test_only_ended_enabled_unsettled_seasons_are_due(uow_factory: UnitOfWorkFactory) -> None:
    ended, running = (
        await _saved(uow_factory, _season()),
        await _saved(uow_factory, _season(ends_at=START + timedelta(days=90))),
    )
    disabled = await _saved(uow_factory, _season(enabled=False))
    mine = {ended.season_id, running.season_id, disabled.season_id}

    async with uow_factory() as sut:
        due = [s.season_id for s in await sut.battlepass.due_for_settlement(START + timedelta(days=31))]
        await sut.battlepass.mark_settled(ended.season_id, START)
        await sut.commit()
    async with uow_factory() as sut:
        after = [s.season_id for s in await sut.battlepass.due_for_settlement(START + timedelta(days=31))]

    assert [season_id for season_id in due if season_id in mine] == [ended.season_id]
    assert [season_id for season_id in after if season_id in mine] == []


async def test_xp_is_added_in_one_write_per_pass_and_standings_read_back(uow_factory: UnitOfWorkFactory) -> None:
    season = await _saved(uow_factory, _season())
    first, second = await given_user(uow_factory), await given_user(uow_factory)

    async with uow_factory() as sut:
        created = await sut.battlepass.add_xp(season.season_id, {first: 30, second: 5}, START)
        added = await sut.battlepass.add_xp(season.season_id, {first: 12}, START)
        await sut.battlepass.lock_progress(season.season_id, second)
        await sut.battlepass.set_premium(season.season_id, second)
        await sut.commit()
    async with uow_factory() as sut:
        standings = [await sut.battlepass.progress(season.season_id, user) for user in (first, second)]
        nobody = await sut.battlepass.progress(season.season_id, str(uuid.uuid4()))

    assert sorted((gain.gained, gain.progress.xp) for gain in created) == [(5, 5), (30, 30)]
    assert [(gain.gained, gain.progress.user_id, gain.progress.xp) for gain in added] == [(12, first, 42)]
    assert standings == [
        PassProgress(season.season_id, first, 42),
        PassProgress(season.season_id, second, 5, premium=True),
    ]
    assert nobody.xp == 0
    assert not nobody.premium


async def test_a_claim_is_recorded_once_and_an_uncommitted_one_leaves_no_trace(uow_factory: UnitOfWorkFactory) -> None:
    season, user_id = await _saved(uow_factory, _season()), await given_user(uow_factory)

    async with uow_factory() as sut:
        assert await sut.battlepass.add_claim(season.season_id, user_id, 3, Track.PREMIUM, "claim", START)
    async with uow_factory() as sut:
        first = await sut.battlepass.add_claim(season.season_id, user_id, 1, Track.FREE, "claim", START)
        again = await sut.battlepass.add_claim(season.season_id, user_id, 1, Track.FREE, "claim", START)
        other_track = await sut.battlepass.add_claim(season.season_id, user_id, 1, Track.PREMIUM, "season_end", START)
        await sut.commit()
    async with uow_factory() as sut:
        claimed = await sut.battlepass.claimed(season.season_id, user_id)

    assert (first, again, other_track) == (True, False, True)
    assert claimed == {(1, Track.FREE), (1, Track.PREMIUM)}


async def test_two_claims_of_one_level_at_once_record_one(uow_factory: UnitOfWorkFactory) -> None:
    """The second waits for the first to commit, then finds the level claimed, as a primary key makes it."""
    season, user_id = await _saved(uow_factory, _season()), await given_user(uow_factory)
    first_in = asyncio.Event()
    still_waiting: list[bool] = []

    async def first() -> bool:
        async with uow_factory() as uow:
            recorded = await uow.battlepass.add_claim(season.season_id, user_id, 2, Track.FREE, "claim", START)
            first_in.set()
            await until_waiting(uow)
            still_waiting.append(not tasks[1].done())  # the second claim waits for this commit
            await uow.commit()
        return recorded

    async def second() -> bool:
        await first_in.wait()
        async with uow_factory() as uow:
            recorded = await uow.battlepass.add_claim(season.season_id, user_id, 2, Track.FREE, "claim", START)
            await uow.commit()
        return recorded

    tasks = asyncio.create_task(first()), asyncio.create_task(second())

    assert await asyncio.gather(*tasks) == [True, False]
    assert still_waiting == [True]


async def test_settlement_takes_unsettled_standings_in_batches_until_none_is_left(
    uow_factory: UnitOfWorkFactory,
) -> None:
    season = await _saved(uow_factory, _season())
    users = sorted([await given_user(uow_factory) for _ in range(3)])
    async with uow_factory() as uow:
        await uow.battlepass.add_xp(season.season_id, dict.fromkeys(users, 10), START)
        await uow.commit()

    async with uow_factory() as sut:
        batch = await sut.battlepass.take_unsettled(season.season_id, 2)
        await sut.battlepass.mark_progress_settled(season.season_id, [p.user_id for p in batch], START)
        await sut.commit()
    async with uow_factory() as sut:
        rest = await sut.battlepass.take_unsettled(season.season_id, 2)
        left = await sut.battlepass.count_unsettled(season.season_id)

    assert [p.user_id for p in batch] == users[:2]
    assert ([p.user_id for p in rest], left) == ([users[2]], 1)


async def test_the_inbox_answers_each_event_new_once(uow_factory: UnitOfWorkFactory) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex

    async with uow_factory() as sut:
        new = await sut.battlepass.first_events("contract", [first, first, second], START)
        await sut.commit()
    async with uow_factory() as sut:
        again = await sut.battlepass.first_events("contract", [second, uuid.uuid4().hex], START)
        other_consumer = await sut.battlepass.first_events("another", [first], START)

    assert new == {first, second}
    assert len(again) == 1
    assert second not in again
    assert other_consumer == {first}


async def test_inbox_marks_past_retention_are_forgotten_and_the_event_is_new_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    consumer, old, recent = f"c_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, uuid.uuid4().hex
    async with uow_factory() as uow:
        await uow.battlepass.first_events(consumer, [old], START)
        await uow.battlepass.first_events(consumer, [recent], START + timedelta(days=9))
        await uow.commit()

    async with uow_factory() as sut:
        forgotten = await sut.battlepass.forget_events(consumer, START + timedelta(days=1))
        await sut.commit()
    async with uow_factory() as sut:
        new = await sut.battlepass.first_events(consumer, [old, recent], START + timedelta(days=10))

    assert (forgotten, new) == (1, {old})
