"""A relay pass's mission and achievement progress on PostgreSQL: driver-level SQL, one statement per step.

Before, the progress engine spent one transaction per player and pass (lock, event ids, read missions, write
missions, read achievements, write achievements: 6-8 round trips each, ~450 for a pass of 64 players). Now every
step takes the whole pass in one statement over `unnest` arrays: the players' locks (in id order), the event ids
(ON CONFLICT DO NOTHING keeps only the new ones), the mission counts (only the rows completed come back) and the
achievement counts (targets compared in SQL: only players with something to unlock come back, with the rows
`unlocks` needs). The counts read the rows as the statement's snapshot sees them, which is the last committed
version because the players are locked: only a pass holding that lock changes progress (a claim writes
`claimed_at` alone, and the UPDATE takes that from the row it locks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_execute
from src.application.engagement.ports import MissionKey
from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, AchievementProgress
from src.domain.engagement.missions import MissionCount

_LOCK = """
INSERT INTO progress_players (user_id, updated_at)
SELECT user_id, now() FROM unnest($1::varchar[]) AS t(user_id) ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
"""

_FIRST_SEEN = """
INSERT INTO progress_events (event_id, user_id, counted_at)
SELECT event_id, user_id, $3 FROM unnest($1::varchar[], $2::varchar[]) AS t(event_id, user_id)
ON CONFLICT DO NOTHING
RETURNING event_id
"""

# `missions.counted` in SQL. $1-$6 the counts (player, mission, period, operator, value, target), $7 now
_COUNT_MISSIONS = """
WITH incoming AS (
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::bigint[], $6::bigint[])
        AS t(user_id, mission_id, period_key, operator, value, target)
), counted AS (
    SELECT i.user_id, i.mission_id, i.period_key, i.target, p.user_id IS NOT NULL AS stored,
        p.completed_at AS completed_before,
        CASE i.operator WHEN 'add' THEN COALESCE(p.progress, 0) + i.value
            WHEN 'max' THEN GREATEST(COALESCE(p.progress, 0), i.value) ELSE i.value END AS progress
    FROM incoming AS i LEFT JOIN mission_progress AS p USING (user_id, mission_id, period_key)
), updated AS (
    UPDATE mission_progress AS p SET progress = c.progress, updated_at = $7,
        completed_at = COALESCE(p.completed_at, CASE WHEN c.progress >= c.target THEN $7::timestamptz END)
    FROM counted AS c
    WHERE c.stored AND p.user_id = c.user_id AND p.mission_id = c.mission_id AND p.period_key = c.period_key
), inserted AS (
    INSERT INTO mission_progress (user_id, mission_id, period_key, progress, completed_at, updated_at)
    SELECT user_id, mission_id, period_key, progress, CASE WHEN progress >= target THEN $7::timestamptz END, $7
    FROM counted WHERE NOT stored AND progress <> 0
)
SELECT user_id, mission_id, period_key FROM counted
WHERE completed_before IS NULL AND progress >= target AND (stored OR progress <> 0)
"""

# `achievements.counted`, then `achievements.unlock_candidates`, in SQL. $1-$4 the counts (player, achievement,
# operator, value), $5-$6 the enabled definitions' ids and targets, $7 their preconditions, $8 now
_COUNT_ACHIEVEMENTS = """
WITH incoming AS (
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[])
        AS t(user_id, achievement_id, operator, value)
), stored AS (
    SELECT user_id, achievement_id, progress, unlocked_at, claimed_at FROM achievement_progress
    WHERE user_id = ANY($1::varchar[])
), counted AS (
    SELECT i.user_id, i.achievement_id, s.user_id IS NOT NULL AS stored, s.unlocked_at, s.claimed_at,
        CASE i.operator WHEN 'add' THEN COALESCE(s.progress, 0) + i.value
            WHEN 'max' THEN GREATEST(COALESCE(s.progress, 0), i.value) ELSE i.value END AS progress
    FROM incoming AS i LEFT JOIN stored AS s USING (user_id, achievement_id)
), updated AS (
    UPDATE achievement_progress AS p SET progress = c.progress, updated_at = $8
    FROM counted AS c
    WHERE c.stored AND p.user_id = c.user_id AND p.achievement_id = c.achievement_id AND p.progress <> c.progress
), inserted AS (
    INSERT INTO achievement_progress (user_id, achievement_id, progress, updated_at)
    SELECT user_id, achievement_id, progress, $8 FROM counted WHERE NOT stored
), after AS (
    SELECT user_id, achievement_id, progress, unlocked_at, claimed_at FROM counted
    UNION ALL
    SELECT s.* FROM stored AS s LEFT JOIN incoming AS i USING (user_id, achievement_id) WHERE i.user_id IS NULL
), pending AS (
    SELECT a.* FROM after AS a
    JOIN unnest($5::varchar[], $6::bigint[]) AS d(achievement_id, target) USING (achievement_id)
    WHERE a.unlocked_at IS NULL AND a.progress >= d.target
)
SELECT * FROM pending
UNION ALL
SELECT * FROM after
WHERE unlocked_at IS NOT NULL AND achievement_id = ANY($7::varchar[]) AND user_id IN (SELECT user_id FROM pending)
"""


class PgProgressWrites:
    """Sent in the unit's transaction straight to asyncpg (`driver_execute`, which begins it when nothing has):
    SQLAlchemy's `exec_driver_sql` built each statement's result machinery again, ~0.15 ms a statement."""

    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def _rows(self, statement: str, *parameters: object) -> list[Any]:
        return [Columns(record) for record in await driver_execute(self._db, statement, *parameters)]

    async def lock_players(self, user_ids: Sequence[str]) -> None:
        await driver_execute(self._db, _LOCK, list(user_ids))

    async def first_seen(self, events: Mapping[str, str], now: datetime) -> set[str]:
        rows = await self._rows(_FIRST_SEEN, list(events), list(events.values()), now)
        return {row.event_id for row in rows}

    async def count_missions(self, counts: Sequence[MissionCount], now: datetime) -> list[tuple[str, MissionKey]]:
        columns = (
            [count.user_id for count in counts],
            [count.mission_id for count in counts],
            [count.period_key for count in counts],
            [count.operator.value for count in counts],
            [count.value for count in counts],
            [count.target for count in counts],
        )
        rows = await self._rows(_COUNT_MISSIONS, *columns, now)
        return [(row.user_id, (row.mission_id, row.period_key)) for row in rows]

    async def count_achievements(
        self, counts: Sequence[AchievementCount], definitions: Sequence[AchievementDefinition], now: datetime
    ) -> dict[str, dict[str, AchievementProgress]]:
        columns = (
            [count.user_id for count in counts],
            [count.achievement_id for count in counts],
            [count.operator.value for count in counts],
            [count.value for count in counts],
            [definition.achievement_id for definition in definitions],
            [definition.target for definition in definitions],
            list({d.precondition for d in definitions if d.precondition is not None}),
        )
        candidates: dict[str, dict[str, AchievementProgress]] = {}
        for row in await self._rows(_COUNT_ACHIEVEMENTS, *columns, now):
            progress = AchievementProgress(row.user_id, row.achievement_id, row.progress, row.unlocked_at,
                                           row.claimed_at)  # fmt: skip
            candidates.setdefault(progress.user_id, {})[progress.achievement_id] = progress
        return candidates
