"""What experiment use cases need from storage: experiments, stored assignments, and segment membership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from src.application.shared.audit import Audited
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import UnitOfWork
from src.domain.liveops.experiments import Assignment, Experiment


class ExperimentRepository(Protocol):
    async def add(self, experiment: Experiment) -> None:
        """Store a new experiment; a key already used → ExperimentKeyTaken."""
        ...

    async def get(self, experiment_id: str, *, for_update: bool = False) -> Experiment | None:
        """`for_update`: hold the row until the transaction ends (phase changes and stops queue up)."""
        ...

    async def get_many(self, experiment_ids: Sequence[str]) -> list[Experiment]:
        """Those of the ids that exist, in one read (a player's assignments name several)."""
        ...

    async def by_key(self, key: str) -> Experiment | None: ...

    async def save(self, experiment: Experiment) -> None:
        """Write back the phases and the stop of an experiment read in this transaction."""
        ...

    async def list(self, limit: int, after: Position | None) -> Page[Experiment]:
        """Newest first."""
        ...


class AssignmentRepository(Protocol):
    async def get(self, experiment_id: str, user_id: str) -> Assignment | None: ...

    async def add_if_absent(self, assignment: Assignment) -> bool:
        """Store the player's assignment unless one exists; True when this call stored it. Concurrent calls for the
        same player store one, and exactly one of them answers True."""
        ...

    async def of_user(self, user_id: str) -> list[Assignment]:
        """Every stored assignment of the player (any experiment state; the caller keeps the running ones)."""
        ...

    async def of_user_with_overrides(
        self, user_id: str
    ) -> tuple[list[Assignment], list[tuple[str, dict[str, Any]]]] | None:
        """`of_user` and `SegmentMembership.overrides_of` in one step where the store can (remote config's reads on
        every catalog buy); None (stores without the step) when the caller reads them one by one."""
        ...


class SegmentMembership(Protocol):
    """Segments as experiments see them (the segments feature owns the data)."""

    async def exists(self, segment: str) -> bool: ...

    async def is_member(self, segment: str, user_id: str) -> bool: ...

    async def overrides_of(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(segment name, remote-config override) of the segments the player is a member of that have one, by
        name."""
        ...

    async def set_params(self, segment: str, params: dict[str, Any] | None) -> bool:
        """Set (None: clear) a segment's override; False when there is no such segment."""
        ...


class ExperimentUnitOfWork(UnitOfWork, Audited, Protocol):
    @property
    def experiments(self) -> ExperimentRepository: ...

    @property
    def assignments(self) -> AssignmentRepository: ...

    @property
    def segment_members(self) -> SegmentMembership: ...
