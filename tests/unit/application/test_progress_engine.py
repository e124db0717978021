"""The progress engine on the in-memory unit of work: one transaction per pass whatever the number of players,
events and definitions, a redelivered event (or a pass interrupted after an earlier one counted part of it) counts
once, facts
land in the period their event happened in, completions and unlocks are recorded with their events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.engagement.deps import MissionDeps
from src.application.engagement.missions import list_missions
from src.application.engagement.progress import apply_progress
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.missions import MissionDefinition, Period, Prize
from src.domain.engagement.progress import Counter, Metric
from tests.support.clocks import FakeClock

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


class Dying(InMemoryUnitOfWork):
    async def commit(self) -> None:
        raise RuntimeError("the process died before this commit")


class Counting:
    """A unit-of-work factory that counts the transactions it opens; the `die_at`-th one never commits."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store, self.opened, self.die_at = store, 0, 0

    def __call__(self) -> InMemoryUnitOfWork:
        self.opened += 1
        return (Dying if self.opened == self.die_at else InMemoryUnitOfWork)(self.store)


def _deps(factory: Counting) -> MissionDeps:
    return MissionDeps(factory, FakeClock(NOW), ZoneInfo("UTC"), SecretsIdGenerator())  # type: ignore[arg-type]


def _spin(user_id: str, number: int, at: datetime = NOW, payout: int = 0) -> OutboxMessage:
    payload: dict[str, Any] = {"spin_id": f"s{number}", "bet": 10, "payout": payout, "outcome": "lose", "streak": 0}
    return OutboxMessage(number, f"ev_{user_id}_{number}", "SpinSettled", "user", user_id, payload, at)


async def _progress(deps: MissionDeps, user_id: str, mission_id: str) -> int:
    board = await list_missions(user_id, deps)
    return next(view.progress for view in board.items if view.definition.mission_id == mission_id)


async def test_a_pass_is_one_transaction_whatever_the_players_events_and_definitions() -> None:
    store = InMemoryStore()
    for number in range(40):  # many more definitions than the shipped ones
        mission = MissionDefinition(f"m{number}", "Extra", Period.DAILY, Counter(Metric.SPINS), 1_000, Prize(1))
        store.engagement_tables.mission_definitions[mission.mission_id] = mission
    factory = Counting(store)
    messages = [_spin(user, n) for n in range(25) for user in ("a", "b", "c")]

    await apply_progress(messages, _deps(factory))

    assert factory.opened == 1  # the definitions, every player and every crossing
    assert [await _progress(_deps(factory), user, "m7") for user in ("a", "b", "c")] == [25, 25, 25]


async def test_a_redelivered_pass_counts_nothing_twice() -> None:
    factory = Counting(InMemoryStore())
    deps, messages = _deps(factory), [_spin("a", n, payout=5) for n in range(3)]

    await apply_progress(messages, deps)
    await apply_progress(messages, deps)
    await apply_progress([*messages, _spin("a", 3)], deps)

    assert await _progress(deps, "a", "daily_spins_20") == 4
    assert await _progress(deps, "a", "daily_wins_5") == 3
    assert [e.event_type for e in factory.store.outbox].count("AchievementUnlocked") == 2  # first_spin, first_win


async def test_a_pass_interrupted_after_an_earlier_one_counted_part_of_it_counts_each_once_when_delivered_again() -> (
    None
):
    factory = Counting(InMemoryStore())
    deps, messages = _deps(factory), [_spin(user, n) for n in range(2) for user in ("a", "b")]
    await apply_progress(messages[:2], deps)  # a's first spin, b's first spin

    factory.die_at = 2  # the redelivery with the next spins dies before its commit
    with pytest.raises(RuntimeError):
        await apply_progress(messages, deps)
    counted_before = await _progress(deps, "a", "daily_spins_20"), await _progress(deps, "b", "daily_spins_20")
    await apply_progress(messages, deps)

    assert counted_before == (1, 1)
    assert (await _progress(deps, "a", "daily_spins_20"), await _progress(deps, "b", "daily_spins_20")) == (2, 2)


async def test_a_fact_counts_in_the_day_its_event_happened_in() -> None:
    deps = _deps(Counting(InMemoryStore()))
    late = NOW.replace(hour=23, minute=59)

    await apply_progress([_spin("a", 1, at=late - timedelta(days=1)), _spin("a", 2, at=late)], deps)

    assert await _progress(deps, "a", "daily_spins_20") == 1  # yesterday's spin counted yesterday
    assert await _progress(deps, "a", "weekly_spins_200") == 2


async def test_a_completion_records_mission_completed_and_counts_toward_missions_completed() -> None:
    factory = Counting(InMemoryStore())
    deps = _deps(factory)

    await apply_progress([_spin("a", 1)], deps)

    completed = [e for e in factory.store.outbox if e.event_type == "MissionCompleted"]
    assert [e.payload()["mission_id"] for e in completed] == ["first_spin"]
    async with factory() as uow:
        rows = await uow.progress.achievements_of("a")
    assert rows["missions_10"].progress == 1
