"""In-memory twin of experiments and assignments: the (experiment, player) key is taken with a row lock, as the SQL
primary key decides concurrent first assignments, so exactly one of them stores the row."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from src.adapters.memory.identity import Workspace, newest_first_page
from src.application.shared.pagination import Page, Position
from src.domain.liveops.experiments import Assignment, Experiment, ExperimentKeyTaken


@dataclass
class ExperimentTables:
    experiments: dict[str, Experiment] = field(default_factory=dict)
    assignments: dict[tuple[str, str], Assignment] = field(default_factory=dict)


class InMemoryExperimentRepository:
    def __init__(self, workspace: Workspace[ExperimentTables]) -> None:
        self._workspace = workspace

    async def add(self, experiment: Experiment) -> None:
        await self._workspace.lock_row("experiments", ("key", experiment.key))  # the unique index on the key
        visible = {**self._workspace.committed.experiments, **self._workspace.working.experiments}
        if any(other.key == experiment.key for other in visible.values()):
            raise ExperimentKeyTaken()
        self._workspace.working.experiments[experiment.id] = deepcopy(experiment)

    async def get(self, experiment_id: str, *, for_update: bool = False) -> Experiment | None:
        if for_update:
            await self._workspace.lock_row("experiments", experiment_id)
        return deepcopy(self._workspace.working.experiments.get(experiment_id))

    async def get_many(self, experiment_ids: Sequence[str]) -> list[Experiment]:
        stored = self._workspace.working.experiments
        return [deepcopy(stored[i]) for i in dict.fromkeys(experiment_ids) if i in stored]

    async def by_key(self, key: str) -> Experiment | None:
        found = (e for e in self._workspace.working.experiments.values() if e.key == key)
        return deepcopy(next(found, None))

    async def save(self, experiment: Experiment) -> None:
        await self._workspace.lock_row("experiments", experiment.id)
        self._workspace.working.experiments[experiment.id] = deepcopy(experiment)

    async def list(self, limit: int, after: Position | None) -> Page[Experiment]:
        experiments = self._workspace.working.experiments.values()
        return newest_first_page(experiments, lambda e: (e.created_at, e.id), limit, after)


class InMemoryAssignmentRepository:
    def __init__(self, workspace: Workspace[ExperimentTables]) -> None:
        self._workspace = workspace

    async def get(self, experiment_id: str, user_id: str) -> Assignment | None:
        """As this transaction wrote it, else as last committed (each SQL statement reads the latest commit)."""
        key = (experiment_id, user_id)
        return self._workspace.working.assignments.get(key) or self._workspace.committed.assignments.get(key)

    async def add_if_absent(self, assignment: Assignment) -> bool:
        key = (assignment.experiment_id, assignment.user_id)
        await self._workspace.lock_row("assignments", key)  # waits for a concurrent first assignment to end
        if key in self._workspace.working.assignments:
            return False
        self._workspace.working.assignments[key] = assignment
        return True

    async def of_user(self, user_id: str) -> list[Assignment]:
        visible = {**self._workspace.committed.assignments, **self._workspace.working.assignments}
        return [a for (_, user), a in visible.items() if user == user_id]

    async def of_user_with_overrides(
        self, user_id: str
    ) -> tuple[list[Assignment], list[tuple[str, dict[str, Any]]]] | None:
        """Read one by one here."""
        return None


class InMemorySegmentMembership:
    """No segments are kept in memory: an audience is refused at creation, as the SQL adapter does for an unknown
    segment."""

    async def exists(self, segment: str) -> bool:
        return False

    async def is_member(self, segment: str, user_id: str) -> bool:
        return False

    async def overrides_of(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        return []

    async def set_params(self, segment: str, params: dict[str, Any] | None) -> bool:
        return False
