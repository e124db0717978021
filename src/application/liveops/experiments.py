"""Experiment use cases: operators create, list, re-split and stop experiments (audit-logged); players are
assigned a sticky variant, and the first assignment records an exposure through the outbox, in its transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from src.application.liveops.experiments_ports import ExperimentUnitOfWork
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.shared.ports import Clock, IdGenerator
from src.domain.liveops.experiment_events import ExperimentExposed
from src.domain.liveops.experiments import (
    Assignment,
    Experiment,
    ExperimentNotFound,
    ExperimentStatus,
    Goal,
    Variant,
    invalid,
    new_experiment,
)
from src.domain.liveops.remote_config import check_params
from src.domain.shared.principal import Principal

MAX_PARAMS_BYTES = 4096  # a variant's parameters as JSON: a banner, a bundle, a discount, not a document


class ExperimentDeps(Protocol):
    """Satisfied by the LiveOps dependencies."""

    @property
    def uow_factory(self) -> Callable[[], ExperimentUnitOfWork]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def ids(self) -> IdGenerator: ...


@dataclass(frozen=True)
class CreateExperiment:
    admin: Principal
    client: ClientInfo
    key: str
    variants: tuple[Variant, ...]
    goal: Goal
    starts_at: datetime
    ends_at: datetime
    audience: str | None = None


@dataclass(frozen=True)
class ChangeExperiment:
    """A stop (`weights` None) or a new phase with these weights by variant name."""

    admin: Principal
    client: ClientInfo
    experiment_id: str
    weights: dict[str, int] | None = None


@dataclass(frozen=True)
class ReceivedVariant:
    """What a player is served: `variant` None when they are not in the experiment (not running, not in its
    audience): the client then shows its default."""

    experiment: Experiment
    variant: str | None
    params: dict[str, Any]
    assigned_at: datetime | None = None


def _check_params(variants: tuple[Variant, ...]) -> None:
    for index, variant in enumerate(variants):
        if len(json.dumps(variant.params, separators=(",", ":"))) > MAX_PARAMS_BYTES:
            raise invalid(f"variants[{index}].params", f"params are at most {MAX_PARAMS_BYTES} bytes of JSON")
        check_params(variant.params, f"variants[{index}].params")  # only remote-config keys the server applies


def _summary(experiment: Experiment) -> dict[str, Any]:
    return {
        "key": experiment.key,
        "weights": {v.name: w for v, w in zip(experiment.variants, experiment.phase.weights, strict=True)},
        "phase": experiment.phase.number,
        "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
    }


async def create_experiment(cmd: CreateExperiment, deps: ExperimentDeps) -> Experiment:
    """A taken key → EXPERIMENT_KEY_TAKEN (409)."""
    now = deps.clock.now()
    _check_params(cmd.variants)
    window = (cmd.starts_at, cmd.ends_at)
    experiment = new_experiment(deps.ids.new_id(), cmd.key, cmd.variants, cmd.goal, window, cmd.audience, now)
    async with deps.uow_factory() as uow:
        if experiment.audience is not None and not await uow.segment_members.exists(experiment.audience):
            raise invalid("audience", f"no segment named {experiment.audience!r}")
        await uow.experiments.add(experiment)
        payload = _summary(experiment) | {"goal": experiment.goal.value, "audience": experiment.audience}
        action = AdminAction(cmd.admin, cmd.client, "experiment.create", "experiment", experiment.id, payload)
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return experiment


async def change_experiment(cmd: ChangeExperiment, deps: ExperimentDeps) -> Experiment:
    """Stop (final; a second stop changes nothing) or start a new phase; the row is locked so changes queue."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        current = await uow.experiments.get(cmd.experiment_id, for_update=True)
        if current is None:
            raise ExperimentNotFound()
        changed = current.stop(now) if cmd.weights is None else current.new_phase(cmd.weights, now)
        if changed == current:
            return current
        await uow.experiments.save(changed)
        name = "experiment.stop" if cmd.weights is None else "experiment.phase"
        action = AdminAction(cmd.admin, cmd.client, name, "experiment", changed.id, _summary(changed))
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return changed


async def get_experiment(experiment_id: str, deps: ExperimentDeps) -> Experiment:
    async with deps.uow_factory() as uow:
        experiment = await uow.experiments.get(experiment_id)
    if experiment is None:
        raise ExperimentNotFound()
    return experiment


async def list_experiments(limit: int | None, cursor: str | None, deps: ExperimentDeps) -> Page[Experiment]:
    async with deps.uow_factory() as uow:
        return await uow.experiments.list(check_limit(limit), decode_cursor(cursor))


def _served(experiment: Experiment, assignment: Assignment) -> ReceivedVariant:
    params = experiment.variant(assignment.variant).params
    return ReceivedVariant(experiment, assignment.variant, params, assignment.assigned_at)


async def receive_variant(user_id: str, key: str, deps: ExperimentDeps) -> ReceivedVariant:
    """The player's stored variant, or a new assignment by this phase's split, stored with its exposure event in
    one transaction. Concurrent first calls store one assignment; only the call that stored it records the exposure,
    and the others serve the stored variant."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        experiment = await uow.experiments.by_key(key)
        if experiment is None:
            raise ExperimentNotFound()
        if experiment.status(now) is not ExperimentStatus.RUNNING:
            return ReceivedVariant(experiment, None, {})
        stored = await uow.assignments.get(experiment.id, user_id)
        if stored is not None:
            return _served(experiment, stored)
        if experiment.audience and not await uow.segment_members.is_member(experiment.audience, user_id):
            return ReceivedVariant(experiment, None, {})
        variant = experiment.assign(user_id)
        assignment = Assignment(experiment.id, user_id, variant.name, experiment.phase.number, now)
        if not await uow.assignments.add_if_absent(assignment):
            winner = await uow.assignments.get(experiment.id, user_id)
            return _served(experiment, winner or assignment)
        uow.record(
            ExperimentExposed(
                aggregate_id=experiment.id,
                occurred_at=now,
                user_id=user_id,
                experiment_key=experiment.key,
                variant=variant.name,
                phase=assignment.phase,
            )
        )
        await uow.commit()
    return _served(experiment, assignment)
