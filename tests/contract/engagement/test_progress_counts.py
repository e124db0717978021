"""Contract of the progress repository's pass-wide counts, on memory, SQLite and PostgreSQL: a count folds by its
operator (a zero creates no mission row), a completion is reported once, only players with something to unlock come
back (with the rows `unlocks` needs, untouched ones included), and concurrent passes and claims lose nothing."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress, unlocks
from src.domain.engagement.missions import MissionCount, MissionDefinition, MissionProgress, Period, Prize
from src.domain.engagement.progress import Counter, Metric, Operator
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

# The definitions are stored disabled: PostgreSQL is shared with the session's other tests, whose passes would
# count them otherwise. The repository counts whatever it is given.

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
LATER = datetime(2031, 5, 6, 13, 0, tzinfo=UTC)
DAY = "2031-05-06"


def _mission(operator: Operator, target: int = 10) -> MissionDefinition:
    counter = Counter(Metric.COINS_WON, operator)
    return MissionDefinition(f"c_{uuid.uuid4().hex[:16]}", "Contract", Period.DAILY, counter, target, Prize(5),
                             enabled=False, position=999_999)  # fmt: skip


def _achievement(target: int, precondition: str | None = None) -> AchievementDefinition:
    return AchievementDefinition(f"c_{uuid.uuid4().hex[:16]}", "Contract", "tests", Counter(Metric.WINS), target,
                                 Prize(gems=2), precondition=precondition, enabled=False,
                                 position=999_999)  # fmt: skip


def _count(user_id: str, mission: MissionDefinition, value: int) -> MissionCount:
    return MissionCount(user_id, mission.mission_id, DAY, mission.counter.operator, value, mission.target)


def _add(user_id: str, achievement: AchievementDefinition, value: int) -> AchievementCount:
    return AchievementCount(user_id, achievement.achievement_id, Operator.ADD, value)


async def _defined(uow_factory: UnitOfWorkFactory, *definitions: MissionDefinition | AchievementDefinition) -> None:
    async with uow_factory() as uow:
        for definition in definitions:
            if isinstance(definition, MissionDefinition):
                await uow.definitions.add_mission(definition, NOW)
            else:
                await uow.definitions.add_achievement(definition, NOW)
        await uow.commit()


async def _count_missions(uow_factory: UnitOfWorkFactory, counts: list[MissionCount], now: datetime) -> list[object]:
    async with uow_factory() as uow:
        await uow.progress.lock_players(sorted({count.user_id for count in counts}))
        completed = await uow.progress.count_missions(counts, now)
        await uow.commit()
    return list(completed)


async def test_mission_counts_fold_by_operator_and_report_each_completion_once(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    adds, maxes, sets = _mission(Operator.ADD), _mission(Operator.MAX), _mission(Operator.SET)
    await _defined(uow_factory, adds, maxes, sets)

    first = await _count_missions(uow_factory, [_count(user_id, m, 0) for m in (adds, maxes, sets)], NOW)
    second = await _count_missions(uow_factory, [_count(user_id, adds, 6), _count(user_id, maxes, 12),
                                                 _count(user_id, sets, 3)], NOW)  # fmt: skip
    third = await _count_missions(uow_factory, [_count(user_id, adds, 6), _count(user_id, maxes, 4),
                                                _count(user_id, sets, 11)], LATER)  # fmt: skip
    fourth = await _count_missions(uow_factory, [_count(user_id, m, 20) for m in (adds, maxes, sets)], LATER)
    async with uow_factory() as uow:
        rows = {key[0]: row for key, row in (await uow.progress.missions_of(
            user_id, [(m.mission_id, DAY) for m in (adds, maxes, sets)])).items()}  # fmt: skip

    assert first == []  # zeros create no row
    assert second == [(user_id, (maxes.mission_id, DAY))]
    assert sorted(third) == sorted([(user_id, (adds.mission_id, DAY)), (user_id, (sets.mission_id, DAY))])
    assert fourth == []  # completed for good: never reported again
    assert rows == {
        adds.mission_id: MissionProgress(user_id, adds.mission_id, DAY, 32, LATER),
        maxes.mission_id: MissionProgress(user_id, maxes.mission_id, DAY, 20, NOW),
        sets.mission_id: MissionProgress(user_id, sets.mission_id, DAY, 20, LATER),
    }


async def test_only_players_with_an_unlock_due_come_back_with_the_rows_unlocks_needs(
    uow_factory: UnitOfWorkFactory,
) -> None:
    chained, idle = await given_user(uow_factory), await given_user(uow_factory)
    first = _achievement(1)
    second = _achievement(2, precondition=first.achievement_id)
    far = _achievement(50)
    definitions = [first, second, far]
    await _defined(uow_factory, *definitions)

    async def count(counts: list[AchievementCount], now: datetime) -> dict[str, dict[str, AchievementProgress]]:
        async with uow_factory() as uow:
            await uow.progress.lock_players(sorted({c.user_id for c in counts}))
            candidates = await uow.progress.count_achievements(counts, definitions, now)
            returned = {user: dict(rows) for user, rows in candidates.items()}
            unlocked = [rows[a.achievement_id] for rows in candidates.values() for a in unlocks(definitions, rows, now)]
            await uow.progress.unlock_achievements(unlocked, now)
            await uow.commit()
        return returned

    held_back = await count([_add(chained, second, 3), _add(idle, far, 1)], NOW)  # its precondition is locked
    chain = await count([_add(chained, first, 1), _add(idle, far, 1)], LATER)  # the second comes back untouched
    after = await count([_add(chained, far, 1)], LATER)
    async with uow_factory() as uow:
        rows = await uow.progress.achievements_of(chained)

    assert held_back == {chained: {second.achievement_id: AchievementProgress(chained, second.achievement_id, 3)}}
    assert chain == {
        chained: {
            first.achievement_id: AchievementProgress(chained, first.achievement_id, 1),
            second.achievement_id: AchievementProgress(chained, second.achievement_id, 3),
        }
    }
    assert after == {}
    assert {key: (row.progress, row.unlocked_at) for key, row in rows.items()} == {
        first.achievement_id: (1, LATER), second.achievement_id: (3, LATER), far.achievement_id: (1, None)}  # fmt: skip


async def test_an_unlock_keeps_a_stored_unlock_and_claim(uow_factory: UnitOfWorkFactory) -> None:
    user_id, achievement = await given_user(uow_factory), _achievement(1)
    await _defined(uow_factory, achievement)
    async with uow_factory() as uow:
        await uow.progress.lock_players([user_id])
        row = (await uow.progress.count_achievements([_add(user_id, achievement, 1)], [achievement], NOW))[user_id]
        await uow.progress.unlock_achievements([replace(row[achievement.achievement_id], unlocked_at=NOW)], NOW)
        await uow.commit()
    async with uow_factory() as uow:
        claimed = await uow.progress.claim_achievement(user_id, achievement.achievement_id, NOW)
        await uow.progress.unlock_achievements(
            [AchievementProgress(user_id, achievement.achievement_id, 1, LATER, LATER)], LATER
        )
        await uow.commit()
    async with uow_factory() as uow:
        stored = (await uow.progress.achievements_of(user_id))[achievement.achievement_id]

    assert claimed is True
    assert stored == AchievementProgress(user_id, achievement.achievement_id, 1, NOW, NOW)


async def test_concurrent_passes_of_one_player_lose_no_count_and_report_one_completion(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id, others = await given_user(uow_factory), [await given_user(uow_factory) for _ in range(2)]
    mission, achievement = _mission(Operator.ADD, target=4), _achievement(4)
    await _defined(uow_factory, mission, achievement)

    async def count(players: list[str]) -> tuple[list[object], list[str]]:
        async with uow_factory() as uow:
            await uow.progress.lock_players(players)
            completed = await uow.progress.count_missions([_count(player, mission, 1) for player in players], NOW)
            due = await uow.progress.count_achievements([_add(p, achievement, 1) for p in players], [achievement], NOW)
            await uow.commit()
        return list(completed), list(due)

    # each pass names the shared player among others, in another order: the locks are taken in id order anyway
    passes = [[user_id, others[n % 2]] if n % 2 else [others[n % 2], user_id] for n in range(4)]
    results = await asyncio.gather(*(count(players) for players in passes))
    async with uow_factory() as uow:
        row = (await uow.progress.missions_of(user_id, [(mission.mission_id, DAY)]))[(mission.mission_id, DAY)]
        progress = (await uow.progress.achievements_of(user_id))[achievement.achievement_id].progress

    assert (row.progress, progress) == (4, 4)
    assert [c for completed, _ in results for c in completed] == [(user_id, (mission.mission_id, DAY))]
    assert [player for _, due in results for player in due] == [user_id]


async def test_a_claim_racing_a_count_of_its_row_keeps_both(uow_factory: UnitOfWorkFactory) -> None:
    user_id, mission = await given_user(uow_factory), _mission(Operator.ADD, target=1)
    await _defined(uow_factory, mission)
    await _count_missions(uow_factory, [_count(user_id, mission, 1)], NOW)

    async def claim() -> bool:
        async with uow_factory() as uow:
            won = await uow.progress.claim_mission(user_id, (mission.mission_id, DAY), LATER)
            await uow.commit()
        return won

    results = await asyncio.gather(
        claim(), *(_count_missions(uow_factory, [_count(user_id, mission, 1)], LATER) for _ in range(3)), claim()
    )
    async with uow_factory() as uow:
        row = (await uow.progress.missions_of(user_id, [(mission.mission_id, DAY)]))[(mission.mission_id, DAY)]

    assert sorted([results[0], results[-1]]) == [False, True]
    assert results[1:-1] == [[], [], []]
    assert row == MissionProgress(user_id, mission.mission_id, DAY, 4, NOW, LATER)
