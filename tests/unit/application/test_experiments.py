"""Experiment use cases on the in-memory store: audit-logged changes, and a sticky variant whose first assignment
records one exposure however many calls race for it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.liveops.experiments import (
    ChangeExperiment,
    CreateExperiment,
    change_experiment,
    create_experiment,
    receive_variant,
)
from src.application.shared.commands import ClientInfo
from src.domain.liveops.experiment_events import ExperimentExposed
from src.domain.liveops.experiments import ExperimentKeyTaken, ExperimentNotFound, Goal, Variant
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Principal, Rank
from tests.support.clocks import EPOCH, FakeClock

ADMIN = Principal(user_id="admin-1", session_id="s-1", rank=Rank.STANDARD, is_admin=True)
VARIANTS = (Variant("control", 1, {"featured_banner": "a"}), Variant("bundle", 1, {"featured_banner": "b"}))


@dataclass
class Deps:
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: FakeClock = field(default_factory=FakeClock)
    ids: SecretsIdGenerator = field(default_factory=SecretsIdGenerator)

    def uow_factory(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def exposures(self) -> list[ExperimentExposed]:
        return [e for e in self.store.outbox if isinstance(e, ExperimentExposed)]


def _create(key: str = "banner_test", starts_in: timedelta = timedelta(), **changes: object) -> CreateExperiment:
    fields: dict[str, object] = {
        "admin": ADMIN,
        "client": ClientInfo("10.0.0.1"),
        "key": key,
        "variants": VARIANTS,
        "goal": Goal.PURCHASE,
        "starts_at": EPOCH + starts_in,
        "ends_at": EPOCH + starts_in + timedelta(days=7),
    }
    return CreateExperiment(**(fields | changes))  # type: ignore[arg-type]


async def test_creating_writes_the_audit_log_and_a_taken_key_is_refused() -> None:
    deps = Deps()

    created = await create_experiment(_create(), deps)

    audit = list(deps.store.tables.audit.values())
    assert [(a.action, a.target_id) for a in audit] == [("experiment.create", created.id)]
    with pytest.raises(ExperimentKeyTaken):
        await create_experiment(_create(), deps)
    with pytest.raises(InvalidInput):
        await create_experiment(_create(key="with_audience", audience="whales"), deps)  # no such segment


async def test_concurrent_first_calls_store_one_variant_and_record_one_exposure() -> None:
    deps = Deps()
    await create_experiment(_create(), deps)

    received = await asyncio.gather(*(receive_variant("player-1", "banner_test", deps) for _ in range(20)))

    assert len({r.variant for r in received}) == 1
    [exposed] = deps.exposures()
    assert (exposed.user_id, exposed.variant, exposed.phase) == ("player-1", received[0].variant, 1)


async def test_a_new_phase_moves_nobody_already_assigned() -> None:
    deps = Deps()
    experiment = await create_experiment(_create(), deps)
    players = [f"p{n}" for n in range(40)]
    before = {p: (await receive_variant(p, "banner_test", deps)).variant for p in players}

    command = ChangeExperiment(ADMIN, ClientInfo(), experiment.id, {"control": 1, "bundle": 0})
    await change_experiment(command, deps)

    after = {p: (await receive_variant(p, "banner_test", deps)).variant for p in players}
    assert after == before
    assert {(await receive_variant(f"new{n}", "banner_test", deps)).variant for n in range(20)} == {"control"}
    assert len(deps.exposures()) == 60


async def test_before_the_start_after_a_stop_or_unknown_nobody_is_assigned() -> None:
    deps = Deps()
    await create_experiment(_create(key="later", starts_in=timedelta(hours=1)), deps)
    running = await create_experiment(_create(key="now"), deps)

    scheduled = await receive_variant("p", "later", deps)
    await change_experiment(ChangeExperiment(ADMIN, ClientInfo(), running.id), deps)
    stopped = await receive_variant("p", "now", deps)

    assert (scheduled.variant, scheduled.params, stopped.variant) == (None, {}, None)
    assert deps.exposures() == []
    with pytest.raises(ExperimentNotFound):
        await receive_variant("p", "nope", deps)
