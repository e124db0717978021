"""How long the operator KPIs and a funnel take in the embedded OLAP store (chDB) over a realistic volume.

Synthetic play is generated inside ClickHouse (INSERT … SELECT FROM numbers()), every event written twice (as a
redelivery would), so the FINAL reads do the deduplication work they do in production. The run happens in a child
process: chDB opens one directory per process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import date, timedelta

from src.adapters.clickhouse.migrations import upgrade
from src.adapters.clickhouse.olap import ClickHouseOlap
from src.application.analytics.funnel import FunnelQuery, conversion_funnel
from src.application.analytics.kpis import Period, operator_kpis

PLAYERS = 20_000
EVENTS_PER_PLAYER = 50
DAYS = 60
FIRST_DAY = date(2031, 1, 1)
RUNS = 3

# one signup per player on its cohort day, then play spread over the 60 days after it
SIGNUPS = f"""
INSERT INTO events (dedup_key, event_id, event_type, version, occurred_at, player_id, aggregate_type, aggregate_id,
                    amount, currency, reason, status, rarities, promo_code, client_ts, payload, source)
SELECT concat('UserSignedUp:p', toString(number)), concat('s', toString(number)), 'UserSignedUp', 1,
       toDateTime64('{FIRST_DAY}', 3, 'UTC') + toIntervalSecond((number * 7919) % ({DAYS} * 86400)),
       concat('p', toString(number)), 'user', concat('p', toString(number)),
       0, '', '', '', [], '', NULL, '{{}}', 'stream'
FROM numbers({PLAYERS})
"""  # noqa: S608
PLAY = f"""
INSERT INTO events (dedup_key, event_id, event_type, version, occurred_at, player_id, aggregate_type, aggregate_id,
                    amount, currency, reason, status, rarities, promo_code, client_ts, payload, source)
SELECT concat('e', toString(number)), concat('e', toString(number)),
       ['SpinSettled', 'SpinSettled', 'SpinSettled', 'GachaPulled', 'UserLoggedIn', 'ActionTracked',
        'PurchaseUpdated', 'PurchaseUpdated', 'StreakUpdated', 'PurchaseUpdated'][number % 10 + 1], 1,
       toDateTime64('{FIRST_DAY}', 3, 'UTC') + toIntervalSecond(((number % {PLAYERS}) * 7919) % ({DAYS} * 86400))
           + toIntervalSecond((number * 104729) % ({DAYS} * 86400)),
       concat('p', toString(number % {PLAYERS})), 'user', concat('tx', toString(intDiv(number, 10))),
       [10, 50, 20, 450, 0, 0, 499, 499, 3, 499][number % 10 + 1], '',
       ['', '', '', '', '', 'screen_view', '', '', 'tick', ''][number % 10 + 1],
       ['', '', '', '', '', '', 'pending', 'captured', '', if(number % 30 = 9, 'refunded', 'failed')][number % 10 + 1],
       if(number % 10 = 3, ['Common', 'Rare', 'Common'], []), if(number % 70 = 7, 'SPRING', ''), NULL, '{{}}', 'stream'
FROM numbers({PLAYERS * EVENTS_PER_PLAYER})
"""  # noqa: S608
LEDGER = f"""
INSERT INTO ledger_movements (entry_key, event_id, occurred_at, player_id, currency, reason, delta, source)
SELECT concat('l', toString(number)), concat('l', toString(number)),
       toDateTime64('{FIRST_DAY}', 3, 'UTC') + toIntervalSecond((number * 104729) % ({DAYS} * 86400)),
       concat('p', toString(number % {PLAYERS})), 'coins', ['slot_bet', 'slot_win', 'streak_reward'][number % 3 + 1],
       [-10, 25, 100][number % 3 + 1], 'stream'
FROM numbers({PLAYERS * EVENTS_PER_PLAYER})
"""  # noqa: S608


async def _timed(call: object) -> float:
    started = time.perf_counter()
    await call  # type: ignore[misc]
    return (time.perf_counter() - started) * 1000


async def _measure(directory: str) -> str:
    olap = ClickHouseOlap(f"chdb://{directory}/olap")
    await olap.start()
    try:
        await upgrade(olap)
        seeding = time.perf_counter()
        for _ in range(2):  # every row twice: FINAL must fold the copies
            for statement in (SIGNUPS, PLAY, LEDGER):
                await olap.execute(statement)
        seeded_s = time.perf_counter() - seeding
        month = Period.of(FIRST_DAY + timedelta(days=30), FIRST_DAY + timedelta(days=59))
        funnel = FunnelQuery.of("signup,first_spin,first_purchase", 168, month)
        kpis = [await _timed(operator_kpis(month, olap)) for _ in range(RUNS)]
        funnels = [await _timed(conversion_funnel(funnel, olap)) for _ in range(RUNS)]
    finally:
        await olap.close()
    rows = 2 * PLAYERS * (1 + 2 * EVENTS_PER_PLAYER)
    return (
        f"chDB, {rows:,} rows ({PLAYERS:,} players, every event twice; seeded in {seeded_s:.1f} s): "
        f"KPIs over 30 days median {statistics.median(kpis):.0f} ms (runs {', '.join(f'{t:.0f}' for t in kpis)}), "
        f"3-step funnel median {statistics.median(funnels):.0f} ms"
    )


def _child(directory: str, results: multiprocessing.Queue[str]) -> None:
    results.put(asyncio.run(_measure(directory)))


def run() -> str:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    with tempfile.TemporaryDirectory(prefix="cc-kpi-bench-") as directory:
        child = context.Process(target=_child, args=(directory, results))
        child.start()
        report = results.get(timeout=900)
        child.join()
    return report
