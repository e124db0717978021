"""The operator KPIs computed again from PostgreSQL, the record: the OLAP store's figures must equal these.

Each figure is counted from the tables the events were written beside (sessions, plays, purchases and their status
history, the ledger, tracked actions), never from the outbox, so a lost, doubled or misfiled event shows up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from src.domain.analytics.kpis import Cohort, DayFigures, PeriodFigures, days_of

# (player, time) of everything that makes a player active (domain/analytics/kpis.py)
ACTIVITY = """
    SELECT user_id, created_at AS at FROM auth_sessions          -- sign-ups and logins
    UNION ALL SELECT user_id, created_at FROM game_history        -- spins and pulls
    UNION ALL SELECT user_id, created_at FROM purchase_transactions  -- purchase attempts
    UNION ALL SELECT user_id, created_at FROM ledger_entries WHERE reason = 'streak_reward'  -- streak ticks
    UNION ALL SELECT user_id, tracked_at FROM player_actions
"""
ACTIVE_DAYS = f"""
SELECT DISTINCT user_id, (at AT TIME ZONE 'UTC')::date AS day
FROM ({ACTIVITY}) AS activity JOIN users ON users.id = activity.user_id AND NOT users.is_admin
"""  # noqa: S608 (constants only; values are bound)
UTC_DAY = "((h->>'at')::timestamptz AT TIME ZONE 'UTC')::date"

WINDOWS = f"""
WITH active AS ({ACTIVE_DAYS}), days AS (SELECT generate_series(:start, :end, interval '1 day')::date AS d)
SELECT d AS day, count(DISTINCT user_id) FILTER (WHERE day = d) AS dau,
       count(DISTINCT user_id) FILTER (WHERE day > d - 7) AS wau, count(DISTINCT user_id) AS mau
FROM days JOIN active ON active.day BETWEEN d - 29 AND d
GROUP BY d
"""  # noqa: S608 (constants only; values are bound)
SIGNUPS = """
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM users
WHERE NOT is_admin AND (created_at AT TIME ZONE 'UTC')::date BETWEEN :start AND :end GROUP BY day
"""
CAPTURES = f"""
SELECT {UTC_DAY} AS day, count(DISTINCT user_id) AS payers, sum(amount_cents) AS cents,
       count(*) FILTER (WHERE promo_code IS NOT NULL) AS promo_uses
FROM purchase_transactions, jsonb_array_elements(history) AS h
WHERE h->>'status' = 'captured' AND {UTC_DAY} BETWEEN :start AND :end GROUP BY day
"""  # noqa: S608 (constants only; values are bound)
REFUNDS = f"""
SELECT {UTC_DAY} AS day, sum(refunded_cents) AS cents
FROM purchase_transactions, jsonb_array_elements(history) AS h
WHERE h->>'status' = 'refunded' AND history @> '[{{"status": "captured"}}]'
  AND {UTC_DAY} BETWEEN :start AND :end GROUP BY day
"""  # noqa: S608 (constants only; values are bound)
GACHA = """
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, rarity, count(*) AS items
FROM game_history, jsonb_array_elements_text(result_meta->'rarities') AS rarity
WHERE game_type = 'gacha' AND (created_at AT TIME ZONE 'UTC')::date BETWEEN :start AND :end GROUP BY day, rarity
"""
COINS = """
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, reason,
       coalesce(sum(delta) FILTER (WHERE delta > 0), 0) AS sourced,
       coalesce(-sum(delta) FILTER (WHERE delta < 0), 0) AS sunk
FROM ledger_entries
WHERE currency = 'coins' AND (created_at AT TIME ZONE 'UTC')::date BETWEEN :start AND :end GROUP BY day, reason
"""
RETENTION = f"""
WITH active AS ({ACTIVE_DAYS}),
cohort AS (SELECT id AS user_id, (created_at AT TIME ZONE 'UTC')::date AS day FROM users
           WHERE NOT is_admin AND (created_at AT TIME ZONE 'UTC')::date BETWEEN :start AND :end)
SELECT c.day, count(*) AS players,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM active a WHERE a.user_id = c.user_id AND a.day = c.day + 1)) AS d1,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM active a WHERE a.user_id = c.user_id AND a.day = c.day + 7)) AS d7,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM active a WHERE a.user_id = c.user_id AND a.day = c.day + 30)) AS d30
FROM cohort c GROUP BY c.day
"""  # noqa: S608 (constants only; values are bound)
PERIOD_PLAYERS = f"""
SELECT (SELECT count(DISTINCT user_id) FROM ({ACTIVE_DAYS}) AS a WHERE day BETWEEN :start AND :end) AS active,
       (SELECT count(DISTINCT user_id) FROM purchase_transactions, jsonb_array_elements(history) AS h
        WHERE h->>'status' = 'captured' AND {UTC_DAY} BETWEEN :start AND :end) AS paying
"""  # noqa: S608 (constants only; values are bound)


async def _rows(session: AsyncSession, sql: str, start: date, end: date) -> dict[date, list[Any]]:
    by_day: dict[date, list[Any]] = defaultdict(list)
    for row in await session.execute(text(sql), {"start": start, "end": end}):
        by_day[row.day].append(row)
    return by_day


async def pg_period_figures(session: AsyncSession, start: date, end: date) -> PeriodFigures:
    windows, signups = await _rows(session, WINDOWS, start, end), await _rows(session, SIGNUPS, start, end)
    captures, refunds = await _rows(session, CAPTURES, start, end), await _rows(session, REFUNDS, start, end)
    gacha, coins = await _rows(session, GACHA, start, end), await _rows(session, COINS, start, end)
    cohorts = await _rows(session, RETENTION, start, end)
    days = []
    for day in days_of(start, end):
        figures = DayFigures(day, new_players=sum(row.n for row in signups[day]))
        for row in windows[day]:
            figures = replace(figures, dau=row.dau, wau=row.wau, mau=row.mau)
        for row in captures[day]:
            figures = replace(
                figures, paying_players=row.payers, revenue_cents=int(row.cents), promo_uses=row.promo_uses
            )
        refunded = sum(int(row.cents) for row in refunds[day])
        figures = replace(
            figures,
            revenue_cents=figures.revenue_cents - refunded,
            gacha_pulls={row.rarity: row.items for row in gacha[day]},
            coins_sourced={row.reason: int(row.sourced) for row in coins[day] if row.sourced},
            coins_sunk={row.reason: int(row.sunk) for row in coins[day] if row.sunk},
        )
        for row in cohorts[day]:
            figures = replace(figures, cohort=Cohort(row.players, row.d1, row.d7, row.d30))
        days.append(figures)
    players = (await session.execute(text(PERIOD_PLAYERS), {"start": start, "end": end})).one()
    return PeriodFigures(tuple(days), players.active, players.paying)


# the funnel's steps as PostgreSQL knows them: (player, time) of each
STEP_ROWS = {
    "signup": "SELECT id AS user_id, created_at AS at FROM users WHERE NOT is_admin",
    "spin": "SELECT user_id, created_at FROM game_history WHERE game_type = 'slot'",
    "pull": "SELECT user_id, created_at FROM game_history WHERE game_type = 'gacha'",
    "purchase": "SELECT user_id, (h->>'at')::timestamptz FROM purchase_transactions, jsonb_array_elements(history) h "
    "WHERE h->>'status' = 'captured'",
}


async def pg_funnel(
    session: AsyncSession, steps: tuple[str, ...], window: timedelta, start: date, end: date
) -> list[int]:
    """Players reaching each step: a chain starts at a first-step event inside the period and takes each next
    step at or after the previous one, all within `window` of the start (windowFunnel's default mode)."""
    times: dict[str, dict[str, list[datetime]]] = {}
    for step in steps:
        per_player: dict[str, list[datetime]] = defaultdict(list)
        for user_id, at in await session.execute(text(STEP_ROWS[step.removeprefix("first_")])):
            per_player[user_id].append(at)
        times[step] = {player: sorted(ats) for player, ats in per_player.items()}
    reached = [0] * len(steps)
    for player, starts in times[steps[0]].items():
        best = 0
        for first in (at for at in starts if start <= at.date() <= end):
            level, previous = 1, first
            for step in steps[1:]:
                after = [at for at in times[step].get(player, []) if previous <= at <= first + window]
                if not after:
                    break
                level, previous = level + 1, after[0]
            best = max(best, level)
        for k in range(best):
            reached[k] += 1
    return reached
