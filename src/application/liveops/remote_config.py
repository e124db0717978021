"""Remote config for a player: experiment variant params > segment override > default (src/domain/liveops/
remote_config.py has the rules and the allow-list). Only *running* experiments count: a stopped or ended one stops
applying at once, while its stored assignments stay for its results. Reading the config records no exposure: a
player is exposed when they receive a variant (GET /api/abtest/variant), not when the server applies one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.experiments import ExperimentDeps
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.liveops.experiments import ExperimentStatus
from src.domain.liveops.remote_config import Resolved, check_params, resolve
from src.domain.liveops.segments import SegmentNotFound
from src.domain.shared.principal import Principal


async def player_config(user_id: str, deps: ExperimentDeps) -> dict[str, Resolved]:
    """The player's effective parameters, each with where it came from."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        both = await uow.assignments.of_user_with_overrides(user_id)
        assignments = both[0] if both is not None else await uow.assignments.of_user(user_id)
        found = {e.id: e for e in await uow.experiments.get_many([a.experiment_id for a in assignments])}
        running = []
        for assignment in assignments:
            experiment = found.get(assignment.experiment_id)
            if experiment is not None and experiment.status(now) is ExperimentStatus.RUNNING:
                running.append((experiment, assignment.variant))
        overrides = both[1] if both is not None else await uow.segment_members.overrides_of(user_id)
    running.sort(key=lambda pair: (pair[0].starts_at, pair[0].key))  # oldest experiment wins a tie
    layers = [(experiment.key, experiment.variant(variant).params) for experiment, variant in running]
    return resolve(layers, overrides)


def effective(config: dict[str, Resolved]) -> dict[str, Any]:
    return {key: resolved.value for key, resolved in config.items()}


@dataclass(frozen=True)
class SetSegmentParams:
    """`params` None clears the override."""

    admin: Principal
    client: ClientInfo
    segment: str
    params: dict[str, Any] | None


async def set_segment_params(cmd: SetSegmentParams, deps: LiveOpsDeps) -> dict[str, Any] | None:
    """Validated against the same allow-list as experiment params (400 naming `params.<key>`); audit-logged."""
    if cmd.params is not None:
        check_params(cmd.params, "params")
    now = deps.clock.now()
    stored = cmd.params or None  # an empty map is no override
    async with deps.uow_factory() as uow:
        if not await uow.segment_members.set_params(cmd.segment, stored):
            raise SegmentNotFound()
        payload = {"params": stored}
        action = AdminAction(cmd.admin, cmd.client, "segment.params", "segment", cmd.segment, payload)
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return stored
