"""Contract of the definition and progress repositories: memory, SQLite and PostgreSQL ship the same defaults, keep
definitions, count each event id once, never undo a completion, an unlock or a claim, and let one claim win."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress
from src.domain.engagement.defaults import DEFAULT_ACHIEVEMENTS, DEFAULT_MISSIONS
from src.domain.engagement.errors import DefinitionExists
from src.domain.engagement.missions import MissionCount, MissionDefinition, MissionProgress, Period, Prize
from src.domain.engagement.progress import Counter, Metric, Operator
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
LATER = datetime(2031, 5, 6, 13, 0, tzinfo=UTC)


def _mission(**changes: object) -> MissionDefinition:
    mission = MissionDefinition(f"c_{uuid.uuid4().hex[:16]}", "Contract", Period.DAILY,
                                Counter(Metric.PULLS_OF_RARITY, Operator.MAX, "Epic"), 7, Prize(5, 1, "streak_shield"),
                                True, 999_999)  # fmt: skip
    return replace(mission, **changes)  # type: ignore[arg-type]


def _achievement(**changes: object) -> AchievementDefinition:
    achievement = AchievementDefinition(f"c_{uuid.uuid4().hex[:16]}", "Contract", "tests", Counter(Metric.WINS), 3,
                                        Prize(gems=2), hidden=True, auto_claim=True, position=999_999)  # fmt: skip
    return replace(achievement, **changes)  # type: ignore[arg-type]


def _of(user_id: str, event_ids: list[str]) -> dict[str, str]:
    return dict.fromkeys(event_ids, user_id)


def _count(user_id: str, mission: MissionDefinition, period: str, value: int) -> MissionCount:
    return MissionCount(user_id, mission.mission_id, period, mission.counter.operator, value, mission.target)


def _add(user_id: str, achievement_id: str, value: int) -> AchievementCount:
    return AchievementCount(user_id, achievement_id, Operator.ADD, value)


async def test_every_store_ships_the_default_definitions(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        missions = [
            m for m in await sut.definitions.missions() if m.mission_id in {d.mission_id for d in DEFAULT_MISSIONS}
        ]
        achievements = await sut.definitions.achievements()

    assert missions == list(DEFAULT_MISSIONS)
    shipped = {d.achievement_id for d in DEFAULT_ACHIEVEMENTS}
    assert [a for a in achievements if a.achievement_id in shipped] == list(DEFAULT_ACHIEVEMENTS)


async def test_definitions_read_back_equal_and_change_in_place(uow_factory: UnitOfWorkFactory) -> None:
    mission, achievement = _mission(), _achievement()
    async with uow_factory() as sut:
        await sut.definitions.add_mission(mission, NOW)
        await sut.definitions.add_achievement(achievement, NOW)
        await sut.commit()
    changed = replace(mission, target=9, enabled=False, prize=Prize(coins=1))
    chained = replace(achievement, precondition="first_spin", hidden=False)
    async with uow_factory() as sut:
        first = (
            await sut.definitions.mission(mission.mission_id),
            await sut.definitions.achievement(achievement.achievement_id),
        )
        await sut.definitions.save_mission(changed, LATER)
        await sut.definitions.save_achievement(chained, LATER)
        await sut.commit()
    async with uow_factory() as sut:
        read = (
            await sut.definitions.mission(mission.mission_id),
            await sut.definitions.achievement(achievement.achievement_id),
        )
        listed = [m for m in await sut.definitions.missions() if m.mission_id == mission.mission_id]

    assert first == (mission, achievement)
    assert read == (changed, chained)
    assert listed == [changed]


async def test_listed_definitions_follow_every_change_and_each_list_is_the_callers_own(
    uow_factory: UnitOfWorkFactory,
) -> None:
    # PostgreSQL parses the listed rows again only when they differ from the last ones read: every pass reads them
    mission, achievement = _mission(), _achievement()
    async with uow_factory() as sut:
        await sut.definitions.add_mission(mission, NOW)
        await sut.definitions.add_achievement(achievement, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        before = (await sut.definitions.missions(), await sut.definitions.achievements())
    before[0].clear()  # the caller's own list: the next read is whole
    changed, chained = replace(mission, target=9), replace(achievement, title="Chained", precondition="first_spin")
    async with uow_factory() as sut:
        unchanged = (await sut.definitions.missions(), await sut.definitions.achievements())
        await sut.definitions.save_mission(changed, LATER)
        await sut.definitions.save_achievement(chained, LATER)
        await sut.commit()
    async with uow_factory() as sut:
        after = (await sut.definitions.missions(), await sut.definitions.achievements())

    assert (mission in unchanged[0], achievement in unchanged[1]) == (True, True)
    assert (changed in after[0], mission in after[0]) == (True, False)
    assert (chained in after[1], achievement in after[1]) == (True, False)


async def test_a_taken_definition_id_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    mission = _mission()
    async with uow_factory() as sut:
        await sut.definitions.add_mission(mission, NOW)
        await sut.commit()

    with pytest.raises(DefinitionExists):
        async with uow_factory() as sut:
            await sut.definitions.add_mission(replace(mission, title="Again"), NOW)


async def test_an_event_id_is_new_once_and_only_after_a_commit(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    ids = [uuid.uuid4().hex for _ in range(3)]
    async with uow_factory() as sut:
        assert await sut.progress.first_seen(_of(user_id, ids[:1]), NOW) == set(ids[:1])  # rolled back: forgotten
    async with uow_factory() as sut:
        await sut.progress.lock_players([user_id])
        first = await sut.progress.first_seen(_of(user_id, ids[:2]), NOW)
        await sut.commit()
    async with uow_factory() as sut:
        second = await sut.progress.first_seen(_of(user_id, ids), NOW)
        await sut.commit()

    assert (first, second) == (set(ids[:2]), {ids[2]})


async def test_concurrent_passes_recording_one_event_count_it_once(uow_factory: UnitOfWorkFactory) -> None:
    user_id, event_id = await given_user(uow_factory), uuid.uuid4().hex

    async def record() -> set[str]:
        async with uow_factory() as uow:
            await uow.progress.lock_players([user_id])
            seen = await uow.progress.first_seen({event_id: user_id}, NOW)
            await uow.commit()
        return seen

    results = await asyncio.gather(*(record() for _ in range(4)))

    assert sorted(len(seen) for seen in results) == [0, 0, 0, 1]


async def test_mission_progress_keeps_completion_and_claim_and_one_claim_wins(uow_factory: UnitOfWorkFactory) -> None:
    user_id, mission = await given_user(uow_factory), _mission()
    key = (mission.mission_id, "2031-05-06")
    async with uow_factory() as sut:
        await sut.definitions.add_mission(mission, NOW)
        await sut.progress.lock_players([user_id])
        completed = await sut.progress.count_missions([_count(user_id, mission, key[1], 7)], NOW)
        early = await sut.progress.claim_mission(user_id, (mission.mission_id, "2031-05-07"), NOW)
        await sut.commit()

    async def claim() -> bool:
        async with uow_factory() as uow:
            won = await uow.progress.claim_mission(user_id, key, LATER)
            await uow.commit()
        return won

    claims = await asyncio.gather(*(claim() for _ in range(4)))
    async with uow_factory() as sut:  # a later pass counts again: neither the completion nor the claim is undone
        await sut.progress.lock_players([user_id])
        again = await sut.progress.count_missions([_count(user_id, mission, key[1], 9)], LATER)
        await sut.commit()
    async with uow_factory() as sut:
        rows = await sut.progress.missions_of(user_id, [key, (mission.mission_id, "2031-05-07")])

    assert (completed, again, early) == ([(user_id, key)], [], False)
    assert sorted(claims) == [False, False, False, True]
    assert rows == {key: MissionProgress(user_id, *key, 9, NOW, LATER)}


async def test_achievement_progress_keeps_unlock_and_claim_and_counts_unlocks(uow_factory: UnitOfWorkFactory) -> None:
    user_id, achievement = await given_user(uow_factory), _achievement(auto_claim=False)
    async with uow_factory() as sut:
        await sut.definitions.add_achievement(achievement, NOW)
        await sut.progress.lock_players([user_id])
        counts = [_add(user_id, achievement.achievement_id, 3), _add(user_id, "first_spin", 0)]
        candidates = await sut.progress.count_achievements(counts, [achievement], NOW)
        await sut.progress.unlock_achievements([replace(candidates[user_id][achievement.achievement_id],
                                                        unlocked_at=NOW)], NOW)  # fmt: skip
        await sut.commit()
    async with uow_factory() as sut:
        claimed = [
            await sut.progress.claim_achievement(user_id, name, LATER)
            for name in (achievement.achievement_id, "first_spin")
        ]
        again = await sut.progress.claim_achievement(user_id, achievement.achievement_id, LATER)
        await sut.progress.lock_players([user_id])
        later = await sut.progress.count_achievements(
            [_add(user_id, achievement.achievement_id, 1)], [achievement], LATER
        )
        await sut.progress.unlock_achievements(
            [AchievementProgress(user_id, achievement.achievement_id, 4, LATER)], LATER
        )
        await sut.commit()
    async with uow_factory() as sut:
        rows = await sut.progress.achievements_of(user_id)
        count = await sut.progress.unlocked_count(user_id)

    assert candidates == {
        user_id: {achievement.achievement_id: AchievementProgress(user_id, achievement.achievement_id, 3)}
    }
    assert (claimed, again, later) == ([True, False], False, {})
    assert rows[achievement.achievement_id] == AchievementProgress(user_id, achievement.achievement_id, 4, NOW, LATER)
    assert rows["first_spin"] == AchievementProgress(user_id, "first_spin", 0)
    assert count == 1


async def test_counted_events_before_a_cutoff_are_forgotten_in_batches(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    old, recent = [uuid.uuid4().hex for _ in range(3)], uuid.uuid4().hex
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)  # before any other test's rows in the shared PostgreSQL database
    async with uow_factory() as sut:
        await sut.progress.first_seen(_of(user_id, old), long_ago)
        await sut.progress.first_seen({recent: user_id}, long_ago + timedelta(days=2))
        await sut.commit()

    async with uow_factory() as sut:
        first = await sut.progress.forget_counted_before(long_ago + timedelta(days=1), 2)
        second = await sut.progress.forget_counted_before(long_ago + timedelta(days=1), 2)
        await sut.commit()
    async with uow_factory() as sut:
        seen_again = await sut.progress.first_seen(_of(user_id, [*old, recent]), LATER)

    assert (first, second) == (2, 1)
    assert seen_again == set(old)
