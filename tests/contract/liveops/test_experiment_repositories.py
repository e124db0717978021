"""Contract of the experiment and assignment repositories: memory, SQLite and PostgreSQL store experiments alike,
and of concurrent first assignments of one player exactly one is stored."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from src.application.shared.pagination import decode_cursor
from src.domain.liveops.experiments import Assignment, Experiment, ExperimentKeyTaken, Goal, Variant, new_experiment
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import Hold, contend
from tests.support.round_trips import counted, instrumented

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _experiment(minutes: int = 0) -> Experiment:
    variants = (Variant("control", 1, {}), Variant("bundle", 3, {"featured_banner": "b", "nested": {"off": [10, 20]}}))
    window = (NOW, NOW + timedelta(days=7))
    created = NOW + timedelta(minutes=minutes)
    return new_experiment(
        str(uuid.uuid4()), f"k{uuid.uuid4().hex[:12]}", variants, Goal.PURCHASE, window, None, created
    )


async def _add(uow_factory: UnitOfWorkFactory, *experiments: Experiment) -> None:
    async with uow_factory() as uow:
        for experiment in experiments:
            await uow.experiments.add(experiment)
        await uow.commit()


async def test_experiments_read_back_equal_by_id_and_key(uow_factory: UnitOfWorkFactory) -> None:
    experiment = _experiment()
    await _add(uow_factory, experiment)

    async with uow_factory() as sut:
        by_id, by_key = await sut.experiments.get(experiment.id), await sut.experiments.by_key(experiment.key)
        missing = await sut.experiments.get(str(uuid.uuid4()))

    assert by_id == experiment == by_key
    assert missing is None


async def test_many_are_read_at_once_and_unknown_ids_are_left_out(uow_factory: UnitOfWorkFactory) -> None:
    first, second, third = _experiment(), _experiment(1), _experiment(2)
    await _add(uow_factory, first, second, third)

    async with uow_factory() as sut:
        found = await sut.experiments.get_many([third.id, str(uuid.uuid4()), first.id])
        none = await sut.experiments.get_many([])

    assert sorted(found, key=lambda e: e.id) == sorted([first, third], key=lambda e: e.id)
    assert none == []


async def test_a_new_phase_and_a_stop_are_saved(uow_factory: UnitOfWorkFactory) -> None:
    experiment = _experiment()
    await _add(uow_factory, experiment)
    changed = experiment.new_phase({"control": 0, "bundle": 1}, NOW + timedelta(hours=1)).stop(NOW + timedelta(hours=2))

    async with uow_factory() as uow:
        locked = await uow.experiments.get(experiment.id, for_update=True)
        assert locked == experiment
        await uow.experiments.save(changed)
        await uow.commit()

    async with uow_factory() as sut:
        assert await sut.experiments.get(experiment.id) == changed


async def test_a_taken_key_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    first = _experiment()
    await _add(uow_factory, first)
    twin = Experiment(**{**first.__dict__, "id": str(uuid.uuid4())})

    with pytest.raises(ExperimentKeyTaken):
        await _add(uow_factory, twin)


async def test_lists_are_newest_first_and_resume_after_the_cursor(uow_factory: UnitOfWorkFactory) -> None:
    experiments = [_experiment(minutes=10_000 + n) for n in range(3)]  # newer than any other test's
    await _add(uow_factory, *experiments)

    async with uow_factory() as sut:
        first = await sut.experiments.list(2, None)
        second = await sut.experiments.list(2, decode_cursor(first.next_cursor))

    newest = sorted(experiments, key=lambda e: e.created_at, reverse=True)
    assert [e.id for e in first.items] == [e.id for e in newest[:2]]
    assert second.items[0].id == newest[2].id


async def test_of_concurrent_first_assignments_exactly_one_is_stored(uow_factory: UnitOfWorkFactory) -> None:
    experiment = _experiment()
    await _add(uow_factory, experiment)
    user_id = await given_user(uow_factory)

    def body(variant: str) -> Any:
        async def run(hold: Hold) -> bool:
            async with uow_factory() as uow:
                assignment = Assignment(experiment.id, user_id, variant, 1, NOW)
                stored = await uow.assignments.add_if_absent(assignment)
                await hold(uow)  # keep the transaction open until another waits for the key
                await uow.commit()
                return stored

        return run

    variants = ["control", "bundle"] * 3
    stored = await contend(*(body(variant) for variant in variants))

    assert stored.count(True) == 1
    async with uow_factory() as sut:
        kept = await sut.assignments.get(experiment.id, user_id)
    assert kept is not None
    assert kept.variant == variants[stored.index(True)]
    assert kept == Assignment(experiment.id, user_id, kept.variant, 1, NOW)


@asynccontextmanager
async def _member_of_segments_with_params(pg_url: str, user_id: str) -> AsyncIterator[None]:
    """Two custom segments with an override and one without (names sort a, b, c; rules that match nobody, so a
    recompute elsewhere in the shared database finds them valid), the player a member of all three; dropped after."""
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    tag = uuid.uuid4().hex[:10]
    names = [f"a{tag}", f"b{tag}", f"c{tag}"]
    insert = "INSERT INTO segments (name, kind, rule, params) VALUES ($1, 'custom', 'vip_tier = 999', $2::jsonb)"
    try:
        for name, params in zip(names, ('{"featured_banner": "x"}', '{"discount_percent": 5}', None), strict=True):
            await connection.execute(insert, name, params)
            await connection.execute(
                "INSERT INTO segment_members (segment_name, user_id, since) VALUES ($1, $2, now())", name, user_id
            )
        yield
    finally:
        await connection.execute("DELETE FROM segments WHERE name = ANY($1::varchar[])", names)
        await connection.close()


@pytest.mark.parametrize("uow_factory", ["postgres"], indirect=True)
@pytest.mark.parametrize("assigned", [True, False], ids=["assigned", "unassigned"])
async def test_on_postgres_assignments_and_overrides_are_read_in_one_statement_as_apart(
    uow_factory: UnitOfWorkFactory, pg_url: str, assigned: bool
) -> None:
    experiment = _experiment()
    await _add(uow_factory, experiment)
    user_id = await given_user(uow_factory)
    if assigned:
        async with uow_factory() as uow:
            await uow.assignments.add_if_absent(Assignment(experiment.id, user_id, "bundle", 1, NOW))
            await uow.commit()

    async def read_both() -> None:
        async with uow_factory() as sut:
            both.append(await sut.assignments.of_user_with_overrides(user_id))

    both: list[object] = []
    async with _member_of_segments_with_params(pg_url, user_id):
        with instrumented():
            trips = await counted(read_both)
        async with uow_factory() as uow:
            apart = (await uow.assignments.of_user(user_id), await uow.segment_members.overrides_of(user_id))

    assert trips["statements"] == 1
    assert both == [apart]
    assert [name[0] for name, _ in apart[1]] == ["a", "b"]
    assert len(apart[0]) == (1 if assigned else 0)
