"""Operator KPIs computed by the OLAP store (ClickHouse, or chDB embedded) from the pipeline's tables.

The tables are ReplacingMergeTree keyed by each row's identity (src/application/analytics/tables.py): sums and
counts of rows read them with FINAL, so an event delivered twice is counted once; sets of players (uniqExact,
DISTINCT, IN) need not, since a copy names the same player at the same time. Days are UTC; the report is derived
in the domain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from src.application.analytics.ports import OlapStore
from src.domain.analytics.kpis import Cohort, DayFigures, KpiReport, PeriodFigures, days_of
from src.domain.shared.errors import InvalidInput

EVENTS, LEDGER = "events", "ledger_movements"
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)

# what makes a player active on a day (domain/analytics/kpis.py); a purchase counts once, when it is attempted.
# Players are accounts that signed up: an operator's account (made by `create-admin`) is not one.
SIGNED_UP = f"SELECT player_id FROM {EVENTS} WHERE event_type = 'UserSignedUp'"  # noqa: S608
ACTIVITY = f"""(
    player_id IN ({SIGNED_UP}) AND (
        event_type IN ('UserSignedUp', 'UserLoggedIn', 'SpinSettled', 'GachaPulled', 'ActionTracked')
        OR (event_type = 'StreakUpdated' AND reason = 'tick')
        OR (event_type = 'PurchaseUpdated' AND (status = 'pending' OR (status = 'failed' AND reason = 'FRAUD_BLOCK')))
    )
)"""
CAPTURED = "(event_type = 'PurchaseUpdated' AND status = 'captured')"
IN_PERIOD = "toDate(occurred_at) BETWEEN {start:Date} AND {end:Date}"


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        for key, day in (("from", start), ("to", end)):
            if not EARLIEST <= day <= LATEST:
                raise InvalidInput(f"{key} must be between {EARLIEST} and {LATEST}", details=_field(key))
        if end < start:
            raise InvalidInput("to must not be before from", details=_field("to"))
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidInput(f"a period is at most {MAX_PERIOD_DAYS} days", details=_field("to"))
        return cls(start, end)

    @classmethod
    def resolve(cls, start: date | None, end: date | None, today: date) -> Period:
        """`to` defaults to today (UTC) and `from` to the 30 days ending on `to`."""
        end = end or today
        return cls.of(start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end)

    @property
    def parameters(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end}


def _field(key: str) -> dict[str, Any]:
    return {"fields": [{"key": key, "source": "query"}]}


# Sets of players (distinct players, active days) read the tables without FINAL: a copy of an event names the same
# player at the same time, so it can change no set. Sums and counts of rows read with FINAL.
def _active_days(first: str, last: str) -> str:
    """Each player's active days from `first` to `last` (SQL date expressions)."""
    return f"""
    SELECT DISTINCT player_id, toDate(occurred_at) AS active_day FROM {EVENTS}
    WHERE {ACTIVITY} AND toDate(occurred_at) BETWEEN {first} AND {last}
    """  # noqa: S608


# each player once per day d on which they count for MAU (active in the 30 days ending on d), with their active days
# at hand for DAU and WAU: counts of rows, no uniq over 30 copies of every (player, day)
ACTIVE_WINDOWS = f"""
SELECT d AS day, countIf(has(days, d)) AS dau,
       countIf(arrayExists(a -> dateDiff('day', a, d) BETWEEN 0 AND 6, days)) AS wau, count() AS mau
FROM (
    SELECT player_id, groupArray(active_day) AS days
    FROM ({_active_days("subtractDays({start:Date}, 29)", "{end:Date}")}) GROUP BY player_id
)
ARRAY JOIN arrayFilter(x -> x BETWEEN {{start:Date}} AND {{end:Date}},
                       arrayDistinct(arrayFlatten(arrayMap(a -> arrayMap(i -> addDays(a, i), range(30)), days)))) AS d
GROUP BY d
"""  # noqa: S608

PERIOD_PLAYERS = f"""
SELECT uniqExactIf(player_id, {ACTIVITY}) AS active_players, uniqExactIf(player_id, {CAPTURED}) AS paying_players
FROM {EVENTS} WHERE {IN_PERIOD} AND player_id != ''
"""  # noqa: S608

DAILY_EVENTS = f"""
SELECT toDate(occurred_at) AS day,
       countIf(event_type = 'UserSignedUp') AS new_players,
       uniqExactIf(player_id, {CAPTURED}) AS paying_players,
       sumIf(amount, {CAPTURED}) AS captured_cents,
       sumIf(amount, event_type = 'PurchaseUpdated' AND status = 'refunded' AND aggregate_id IN captured)
           AS refunded_cents,
       countIf({CAPTURED} AND promo_code != '') AS promo_uses
FROM {EVENTS} FINAL
WHERE {IN_PERIOD}
GROUP BY day
"""  # noqa: S608
CAPTURED_IDS = f"captured AS (SELECT aggregate_id FROM {EVENTS} WHERE {CAPTURED})"  # noqa: S608

GACHA = f"""
SELECT toDate(occurred_at) AS day, rarity, count() AS items
FROM {EVENTS} FINAL ARRAY JOIN rarities AS rarity
WHERE event_type = 'GachaPulled' AND {IN_PERIOD}
GROUP BY day, rarity
"""  # noqa: S608

COINS = f"""
SELECT toDate(occurred_at) AS day, reason, sumIf(delta, delta > 0) AS sourced, -sumIf(delta, delta < 0) AS sunk
FROM {LEDGER} FINAL
WHERE currency = 'coins' AND {IN_PERIOD}
GROUP BY day, reason
"""  # noqa: S608

RETENTION = f"""
SELECT cohort AS day, count() AS players, sum(r[2]) AS d1, sum(r[3]) AS d7, sum(r[4]) AS d30
FROM (
    SELECT s.player_id AS player_id, s.cohort AS cohort,
           retention(a.active_day = s.cohort, a.active_day = addDays(s.cohort, 1),
                     a.active_day = addDays(s.cohort, 7), a.active_day = addDays(s.cohort, 30)) AS r
    FROM (
        SELECT player_id, toDate(min(occurred_at)) AS cohort FROM {EVENTS}
        WHERE event_type = 'UserSignedUp' GROUP BY player_id HAVING cohort BETWEEN {{start:Date}} AND {{end:Date}}
    ) AS s
    INNER JOIN ({_active_days("{start:Date}", "addDays({end:Date}, 30)")}) AS a ON a.player_id = s.player_id
    GROUP BY player_id, cohort
)
GROUP BY cohort
"""  # noqa: S608


Rows = dict[date, list[dict[str, object]]]


def _int(value: object) -> int:
    return int(str(value))


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _by_day(olap: OlapStore, sql: str, period: Period) -> Rows:
    rows: Rows = defaultdict(list)
    for row in await olap.query(sql, period.parameters):
        rows[_day(row["day"])].append(row)
    return rows


def _day_figures(day: date, windows: Rows, daily: Rows, gacha: Rows, coins: Rows, cohorts: Rows) -> DayFigures:
    """One day from each query's rows of that day (a day without rows counts zero)."""
    figures = DayFigures(
        day,
        gacha_pulls={str(row["rarity"]): _int(row["items"]) for row in gacha.get(day, [])},
        coins_sourced={str(row["reason"]): _int(row["sourced"]) for row in coins.get(day, []) if _int(row["sourced"])},
        coins_sunk={str(row["reason"]): _int(row["sunk"]) for row in coins.get(day, []) if _int(row["sunk"])},
    )
    for row in windows.get(day, []):
        figures = replace(figures, dau=_int(row["dau"]), wau=_int(row["wau"]), mau=_int(row["mau"]))
    for row in daily.get(day, []):
        figures = replace(
            figures,
            new_players=_int(row["new_players"]),
            paying_players=_int(row["paying_players"]),
            revenue_cents=_int(row["captured_cents"]) - _int(row["refunded_cents"]),
            promo_uses=_int(row["promo_uses"]),
        )
    for row in cohorts.get(day, []):
        figures = replace(figures, cohort=Cohort(*(_int(row[key]) for key in ("players", "d1", "d7", "d30"))))
    return figures


async def period_figures(period: Period, olap: OlapStore) -> PeriodFigures:
    """The period's figures as the OLAP store counts them: one query per family of figures."""
    queries = (ACTIVE_WINDOWS, f"WITH {CAPTURED_IDS} {DAILY_EVENTS}", GACHA, COINS, RETENTION)
    windows, daily, gacha, coins, cohorts = [await _by_day(olap, sql, period) for sql in queries]
    [players] = await olap.query(PERIOD_PLAYERS, period.parameters)
    days = tuple(_day_figures(day, windows, daily, gacha, coins, cohorts) for day in days_of(period.start, period.end))
    return PeriodFigures(days, _int(players["active_players"]), _int(players["paying_players"]))


async def operator_kpis(period: Period, olap: OlapStore) -> KpiReport:
    return KpiReport.of(await period_figures(period, olap))
