"""SQL experiments and assignments (PostgreSQL and SQLite). The first assignment is one INSERT … ON CONFLICT DO
NOTHING on the (experiment, player) key: of concurrent first calls exactly one inserts, and only it records the
exposure; the others wait for it on the key and then read its row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.experiments import ExperimentAssignmentRow, ExperimentRow
from src.adapters.sqla.models.segments import SegmentMemberRow, SegmentRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.shared.pagination import Page, Position
from src.domain.liveops.experiments import Assignment, Experiment, ExperimentKeyTaken, Goal, Phase, Variant

EXPERIMENTS = cast(Table, ExperimentRow.__table__)
ASSIGNMENTS = cast(Table, ExperimentAssignmentRow.__table__)
SEGMENTS = cast(Table, SegmentRow.__table__)
MEMBERS = cast(Table, SegmentMemberRow.__table__)


def experiment_of(row: Any) -> Experiment:
    return Experiment(
        id=row.id,
        key=row.key,
        variants=tuple(Variant(v["name"], v["weight"], v["params"]) for v in row.variants),
        goal=Goal(row.goal),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_at=row.created_at,
        phases=tuple(
            Phase(p["number"], datetime.fromisoformat(p["started_at"]), tuple(p["weights"])) for p in row.phases
        ),
        audience=row.audience,
        stopped_at=row.stopped_at,
    )


def _phases(experiment: Experiment) -> list[dict[str, Any]]:
    return [
        {"number": p.number, "started_at": p.started_at.isoformat(), "weights": list(p.weights)}
        for p in experiment.phases
    ]


class SqlaExperimentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, experiment: Experiment) -> None:
        values = {
            "id": experiment.id,
            "key": experiment.key,
            "variants": [{"name": v.name, "weight": v.weight, "params": v.params} for v in experiment.variants],
            "phases": _phases(experiment),
            "goal": experiment.goal.value,
            "audience": experiment.audience,
            "starts_at": experiment.starts_at,
            "ends_at": experiment.ends_at,
            "created_at": experiment.created_at,
            "stopped_at": experiment.stopped_at,
        }
        try:
            await self._db.execute(insert(EXPERIMENTS).values(values))
        except IntegrityError as exc:
            raise ExperimentKeyTaken() from exc

    async def get(self, experiment_id: str, *, for_update: bool = False) -> Experiment | None:
        statement = select(EXPERIMENTS).where(EXPERIMENTS.c.id == experiment_id)
        row = (await self._db.execute(statement.with_for_update() if for_update else statement)).first()
        return None if row is None else experiment_of(row)

    async def get_many(self, experiment_ids: Sequence[str]) -> list[Experiment]:
        if not experiment_ids:
            return []
        statement = select(EXPERIMENTS).where(EXPERIMENTS.c.id.in_(list(experiment_ids)))
        return [experiment_of(row) for row in (await self._db.execute(statement)).all()]

    async def by_key(self, key: str) -> Experiment | None:
        row = (await self._db.execute(select(EXPERIMENTS).where(EXPERIMENTS.c.key == key))).first()
        return None if row is None else experiment_of(row)

    async def save(self, experiment: Experiment) -> None:
        await self._db.execute(
            update(EXPERIMENTS)
            .where(EXPERIMENTS.c.id == experiment.id)
            .values(phases=_phases(experiment), stopped_at=experiment.stopped_at)
        )

    async def list(self, limit: int, after: Position | None) -> Page[Experiment]:
        statement = after_position(select(EXPERIMENTS), EXPERIMENTS.c.created_at, EXPERIMENTS.c.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).all()
        return to_page(rows, limit, experiment_of, lambda row: Position(row.created_at, row.id))


class SqlaAssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, experiment_id: str, user_id: str) -> Assignment | None:
        statement = select(ASSIGNMENTS).where(
            ASSIGNMENTS.c.experiment_id == experiment_id, ASSIGNMENTS.c.user_id == user_id
        )
        row = (await self._db.execute(statement)).first()
        if row is None:
            return None
        return Assignment(row.experiment_id, row.user_id, row.variant, row.phase, row.assigned_at)

    async def add_if_absent(self, assignment: Assignment) -> bool:
        statement = (
            dialect_insert(self._db)(ASSIGNMENTS)
            .values(
                experiment_id=assignment.experiment_id,
                user_id=assignment.user_id,
                variant=assignment.variant,
                phase=assignment.phase,
                assigned_at=assignment.assigned_at,
            )
            .on_conflict_do_nothing(index_elements=[ASSIGNMENTS.c.experiment_id, ASSIGNMENTS.c.user_id])
            .returning(ASSIGNMENTS.c.user_id)
        )
        return (await self._db.execute(statement)).first() is not None

    async def of_user(self, user_id: str) -> list[Assignment]:
        statement = select(ASSIGNMENTS).where(ASSIGNMENTS.c.user_id == user_id)
        rows = (await self._db.execute(statement)).all()
        return [Assignment(r.experiment_id, r.user_id, r.variant, r.phase, r.assigned_at) for r in rows]

    async def of_user_with_overrides(
        self, user_id: str
    ) -> tuple[list[Assignment], list[tuple[str, dict[str, Any]]]] | None:
        """Portable form: read one by one (`PgAssignmentRepository` reads both in one statement)."""
        return None


class SqlaSegmentMembership:
    """Segments as experiments see them: the segments' tables (members as of the last recompute)."""

    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def exists(self, segment: str) -> bool:
        found = await self._db.execute(select(SEGMENTS.c.name).where(SEGMENTS.c.name == segment))
        return found.first() is not None

    async def is_member(self, segment: str, user_id: str) -> bool:
        member = MEMBERS.c
        found = await self._db.execute(
            select(member.user_id).where(member.segment_name == segment, member.user_id == user_id)
        )
        return found.first() is not None

    async def overrides_of(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        member = MEMBERS.c
        statement = (
            select(SEGMENTS.c.name, SEGMENTS.c.params)
            .join(MEMBERS, member.segment_name == SEGMENTS.c.name)
            .where(member.user_id == user_id, SEGMENTS.c.params.is_not(None))
            .order_by(SEGMENTS.c.name)
        )
        return [(row.name, row.params) for row in (await self._db.execute(statement)).all() if row.params]

    async def set_params(self, segment: str, params: dict[str, Any] | None) -> bool:
        result = await self._db.execute(
            update(SEGMENTS).where(SEGMENTS.c.name == segment).values(params=params).returning(SEGMENTS.c.name)
        )
        return result.first() is not None
