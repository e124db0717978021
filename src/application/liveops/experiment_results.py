"""An experiment's scorecard, counted by the OLAP store (ClickHouse, or chDB embedded) from the pipeline's events.

Exposed: players with an `ExperimentExposed` event of the experiment (once each: grouped by player). Converted: an
exposed player with a goal event at or after their exposure and before the experiment closed (its end, or its stop)
(retention_d1: active on the UTC day after the exposure). Revenue: captured purchases in the same window, in cents.
The database keeps the assignments as a twin of the exposures (`experiment_assignments`), for reconciliation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from src.application.analytics.kpis import CAPTURED, EVENTS
from src.application.analytics.ports import OlapStore
from src.application.liveops.experiments import ExperimentDeps, get_experiment
from src.application.shared.errors import DependencyUnavailable
from src.domain.liveops.experiments import Experiment, Goal
from src.domain.liveops.scorecard import Scorecard, scorecard
from src.domain.liveops.statistics import Arm

ACTIVE = (
    "(event_type IN ('UserLoggedIn', 'SpinSettled', 'GachaPulled', 'ActionTracked') "
    "OR (event_type = 'StreakUpdated' AND reason = 'tick'))"
)
GOALS = {
    Goal.PURCHASE: CAPTURED,
    Goal.SPIN: "event_type = 'SpinSettled'",
    Goal.PULL: "event_type = 'GachaPulled'",
    Goal.LOGIN: "event_type = 'UserLoggedIn'",
    Goal.MISSION_CLAIM: "(event_type = 'RewardGranted' AND startsWith(reason, 'mission:'))",
    Goal.RETENTION_D1: f"({ACTIVE} AND toDate(occurred_at) = addDays(toDate(x.exposed_at), 1))",
}
# the event types each goal reads (and captured purchases, for revenue): the table's sort key starts with event_type,
# so only their parts are read
GOAL_TYPES = {
    goal: "('PurchaseUpdated', " + types + ")"
    for goal, types in {
        Goal.PURCHASE: "'PurchaseUpdated'",
        Goal.SPIN: "'SpinSettled'",
        Goal.PULL: "'GachaPulled'",
        Goal.LOGIN: "'UserLoggedIn'",
        Goal.MISSION_CLAIM: "'RewardGranted'",
        Goal.RETENTION_D1: "'UserLoggedIn', 'SpinSettled', 'GachaPulled', 'ActionTracked', 'StreakUpdated'",
    }.items()
}
RETENTION_GRACE = timedelta(days=2)  # a day-1 return may come after the close; it is still the exposure's outcome


def results_sql(goal: Goal) -> str:
    return f"""
WITH exposures AS (
    SELECT player_id, argMin(reason, occurred_at) AS variant, toUInt32OrZero(argMin(status, occurred_at)) AS phase,
           min(occurred_at) AS exposed_at
    FROM {EVENTS}
    WHERE event_type = 'ExperimentExposed' AND aggregate_id = {{experiment:String}}
    GROUP BY player_id
),
outcomes AS (
    SELECT player_id, countIf({GOALS[goal]}) AS conversions, sumIf(amount, {CAPTURED}) AS revenue
    FROM {EVENTS} FINAL INNER JOIN exposures AS x USING (player_id)
    WHERE event_type IN {GOAL_TYPES[goal]} AND occurred_at >= {{starts_at:DateTime64(3, 'UTC')}}
      AND occurred_at >= x.exposed_at AND occurred_at < {{until:DateTime64(3, 'UTC')}}
      AND (event_type != 'PurchaseUpdated' OR occurred_at < {{closes_at:DateTime64(3, 'UTC')}})
    GROUP BY player_id
)
SELECT x.variant AS variant, x.phase AS phase, count() AS exposed, countIf(o.conversions > 0) AS converted,
       sum(o.revenue) AS revenue, sum(toInt128(o.revenue) * o.revenue) AS revenue_squares
FROM exposures AS x LEFT JOIN outcomes AS o USING (player_id)
GROUP BY variant, phase
"""  # noqa: S608 (constants only; values are bound parameters)


async def measured(experiment: Experiment, olap: OlapStore) -> Scorecard:
    until = experiment.closes_at + (RETENTION_GRACE if experiment.goal is Goal.RETENTION_D1 else timedelta())
    parameters = {
        "experiment": experiment.id,
        "starts_at": experiment.starts_at,
        "until": until,
        "closes_at": experiment.closes_at,
    }
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    exposed: dict[tuple[str, int], int] = {}
    for row in await olap.query(results_sql(experiment.goal), parameters):
        variant, phase = str(row["variant"]), int(str(row["phase"]))
        counts = [int(str(row[key])) for key in ("exposed", "converted", "revenue", "revenue_squares")]
        exposed[(variant, phase)] = counts[0]
        totals[variant] = [a + b for a, b in zip(totals[variant], counts, strict=True)]
    return scorecard(experiment, {name: Arm(*values) for name, values in totals.items()}, exposed)


async def experiment_results(
    experiment_id: str, deps: ExperimentDeps, olap: OlapStore | None
) -> tuple[Experiment, Scorecard]:
    experiment = await get_experiment(experiment_id, deps)
    if olap is None:  # only the server opens the OLAP store
        raise DependencyUnavailable("olap store")
    return experiment, await measured(experiment, olap)
