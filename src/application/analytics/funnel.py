"""Conversion funnels over the OLAP store's events with ClickHouse's windowFunnel(): how many players who did the
first step in the period went on to each next step, in order, within the window from their first step."""

from __future__ import annotations

import re
from dataclasses import dataclass

from src.application.analytics.kpis import CAPTURED, EVENTS, SIGNED_UP, Period
from src.application.analytics.ports import OlapStore
from src.domain.analytics.actions import CUSTOM_PREFIX, check_action_type
from src.domain.shared.errors import InvalidInput

ACTION_STEP = "action:"
# step name → the events that complete it (a "first_" prefix reads the same: the funnel takes each player's first)
STEP_EVENTS = {
    "signup": "event_type = 'UserSignedUp'",
    "login": "event_type = 'UserLoggedIn'",
    "spin": "event_type = 'SpinSettled'",
    "pull": "event_type = 'GachaPulled'",
    "purchase": CAPTURED,
    "streak_tick": "(event_type = 'StreakUpdated' AND reason = 'tick')",
}
MIN_STEPS, MAX_STEPS = 2, 8
MAX_WINDOW_HOURS = 24 * 90
DEFAULT_WINDOW_HOURS = 24 * 7
_STEP = re.compile(r"[a-z0-9_:.\-]{1,80}")


@dataclass(frozen=True)
class FunnelQuery:
    steps: tuple[str, ...]
    window_hours: int
    period: Period

    @classmethod
    def of(cls, steps: str, window_hours: int | None, period: Period) -> FunnelQuery:
        names = tuple(step.strip() for step in steps.split(","))
        if not MIN_STEPS <= len(names) <= MAX_STEPS or len(set(names)) != len(names):
            raise _bad("steps", f"steps: {MIN_STEPS} to {MAX_STEPS} different step names, comma-separated")
        for name in names:
            step_condition(name, 0)
        hours = DEFAULT_WINDOW_HOURS if window_hours is None else window_hours
        if not 1 <= hours <= MAX_WINDOW_HOURS:
            raise _bad("window_hours", f"window_hours must be between 1 and {MAX_WINDOW_HOURS}")
        return cls(names, hours, period)


@dataclass(frozen=True)
class FunnelStep:
    step: str
    players: int
    rate: float  # of the players who did the first step


def _bad(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": key, "source": "query"}]})


def step_condition(name: str, index: int) -> str:
    """The SQL condition of a step: a named one (`signup`, `first_spin`, …) or `action:<action type>`, whose type
    is a bound parameter `step_<index>`."""
    if not _STEP.fullmatch(name):
        raise _bad("steps", f"unknown step {name[:80]!r}")
    if name.startswith(ACTION_STEP):
        check_action_type(name.removeprefix(ACTION_STEP), "steps")
        return f"(event_type = 'ActionTracked' AND reason = {{step_{index}:String}})"
    condition = STEP_EVENTS.get(name.removeprefix("first_"))
    if condition is None:
        raise _bad(
            "steps",
            f"unknown step {name!r}: one of {', '.join(sorted(STEP_EVENTS))}, first_<step> or "
            f"action:<action type> ({CUSTOM_PREFIX}… included)",
        )
    return condition


def funnel_sql(query: FunnelQuery) -> str:
    conditions = [step_condition(name, index) for index, name in enumerate(query.steps)]
    conditions[0] = f"({conditions[0]} AND toDate(occurred_at) BETWEEN {{start:Date}} AND {{end:Date}})"
    window_ms = query.window_hours * 3_600_000  # an integer checked above: the aggregate's parameter is a literal
    return f"""
SELECT level, count() AS players FROM (
    SELECT player_id,
           windowFunnel({window_ms})(toUInt64(toUnixTimestamp64Milli(occurred_at)), {", ".join(conditions)}) AS level
    FROM {EVENTS} FINAL
    WHERE player_id IN ({SIGNED_UP}) AND occurred_at >= toDateTime64({{start:Date}}, 3, 'UTC')
      AND occurred_at < toDateTime64(addDays({{end:Date}}, 1), 3, 'UTC') + toIntervalHour({query.window_hours})
    GROUP BY player_id
)
WHERE level > 0
GROUP BY level
"""  # noqa: S608 (constants and checked integers only; values are bound parameters)


def funnel_parameters(query: FunnelQuery) -> dict[str, object]:
    actions = {
        f"step_{index}": name.removeprefix(ACTION_STEP)
        for index, name in enumerate(query.steps)
        if name.startswith(ACTION_STEP)
    }
    return query.period.parameters | actions


def funnel_steps(query: FunnelQuery, players_by_level: dict[int, int]) -> list[FunnelStep]:
    """Players who reached each step: those whose longest chain is at least that long."""
    reached = [sum(n for level, n in players_by_level.items() if level >= k) for k in range(1, len(query.steps) + 1)]
    first = reached[0]
    return [
        FunnelStep(name, players, round(players / first, 4) if first else 0.0)
        for name, players in zip(query.steps, reached, strict=True)
    ]


async def conversion_funnel(query: FunnelQuery, olap: OlapStore) -> list[FunnelStep]:
    rows = await olap.query(funnel_sql(query), funnel_parameters(query))
    return funnel_steps(query, {int(str(row["level"])): int(str(row["players"])) for row in rows})
