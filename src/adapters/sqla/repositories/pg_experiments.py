"""Remote config's per-player reads on PostgreSQL, straight to the driver: every catalog buy (and listing) reads
the player's experiment assignments and segment overrides, both in one statement; as the first driver read in its
unit of work it sends no BEGIN or ROLLBACK either (one round trip instead of four)."""

from __future__ import annotations

import json
from typing import Any

from src.adapters.sqla.driver import driver_fetch
from src.adapters.sqla.repositories.experiments import SqlaAssignmentRepository, SqlaSegmentMembership
from src.domain.liveops.experiments import Assignment

_OF_USER = "SELECT experiment_id, user_id, variant, phase, assigned_at FROM experiment_assignments WHERE user_id = $1"
_OVERRIDES = """
SELECT segments.name, segments.params FROM segments JOIN segment_members ON segment_members.segment_name = segments.name
WHERE segment_members.user_id = $1 AND segments.params IS NOT NULL ORDER BY segments.name
"""


# both reads at one moment: the assignments (part 1), then the overrides by segment name (part 2)
_WITH_OVERRIDES = """
SELECT 1 AS part, experiment_id, variant, phase, assigned_at, NULL::varchar AS name, NULL::jsonb AS params
FROM experiment_assignments WHERE user_id = $1
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, segments.name, segments.params
FROM segments JOIN segment_members ON segment_members.segment_name = segments.name
WHERE segment_members.user_id = $1 AND segments.params IS NOT NULL
ORDER BY part, name
"""


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class PgAssignmentRepository(SqlaAssignmentRepository):
    async def of_user(self, user_id: str) -> list[Assignment]:
        rows = await driver_fetch(self._db, _OF_USER, user_id)
        return [
            Assignment(row["experiment_id"], row["user_id"], row["variant"], row["phase"], row["assigned_at"])
            for row in rows
        ]

    async def of_user_with_overrides(
        self, user_id: str
    ) -> tuple[list[Assignment], list[tuple[str, dict[str, Any]]]] | None:
        rows = await driver_fetch(self._db, _WITH_OVERRIDES, user_id)
        assignments = [
            Assignment(row["experiment_id"], user_id, row["variant"], row["phase"], row["assigned_at"])
            for row in rows
            if row["part"] == 1
        ]
        overrides = [(row["name"], params) for row in rows if row["part"] == 2 and (params := _document(row["params"]))]
        return assignments, overrides


class PgSegmentMembership(SqlaSegmentMembership):
    async def overrides_of(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        rows = await driver_fetch(self._db, _OVERRIDES, user_id)
        return [(row["name"], params) for row in rows if (params := _document(row["params"]))]
