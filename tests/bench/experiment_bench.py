"""How fast players are assigned (the pure hash, per call) and how long a scorecard takes in the embedded OLAP store
(chDB) for an experiment of 100 000 exposed players among a million other events, every row written twice."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from src.adapters.clickhouse.migrations import upgrade
from src.adapters.clickhouse.olap import ClickHouseOlap
from src.application.liveops.experiment_results import measured
from src.domain.liveops.experiments import Goal, Variant, new_experiment

PLAYERS = 100_000
BACKGROUND = 1_000_000
START = datetime(2031, 1, 1, tzinfo=UTC)
RUNS = 3
COLUMNS = """(dedup_key, event_id, event_type, version, occurred_at, player_id, aggregate_type, aggregate_id,
              amount, currency, reason, status, rarities, promo_code, client_ts, payload, source)"""
EXPOSURES = f"""
INSERT INTO events {COLUMNS}
SELECT concat('ExperimentExposed:bench:p', toString(number)), concat('x', toString(number)), 'ExperimentExposed', 1,
       toDateTime64('2031-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number % 86400), concat('p', toString(number)),
       'experiment', 'bench', 0, '', ['control', 'bundle', 'discount'][number % 3 + 1], '1', [], '', NULL, '{{}}',
       'stream'
FROM numbers({PLAYERS})
"""  # noqa: S608
PURCHASES = f"""
INSERT INTO events {COLUMNS}
SELECT concat('PurchaseUpdated:tx', toString(number), ':captured'), concat('b', toString(number)), 'PurchaseUpdated',
       1, toDateTime64('2031-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number % 86400 + 3600),
       concat('p', toString(number % {PLAYERS * 2})), 'purchase', concat('tx', toString(number)),
       499, 'USD', '', if(number % 7 = 0, 'pending', 'captured'), [], '', NULL, '{{}}', 'stream'
FROM numbers({BACKGROUND // 10})
"""  # noqa: S608
PLAY = f"""
INSERT INTO events {COLUMNS}
SELECT concat('SpinSettled:s', toString(number)), concat('s', toString(number)), 'SpinSettled', 1,
       toDateTime64('2031-01-01 00:00:00', 3, 'UTC') + toIntervalSecond((number * 104729) % (7 * 86400)),
       concat('p', toString(number % {PLAYERS * 2})), 'user', concat('p', toString(number % {PLAYERS * 2})),
       10, 'coins', '', 'lose', [], '', NULL, '{{}}', 'stream'
FROM numbers({BACKGROUND})
"""  # noqa: S608


def _assignments_per_second() -> float:
    variants = (Variant("control", 1, {}), Variant("bundle", 1, {}), Variant("discount", 1, {}))
    window = (START, START + timedelta(days=7))
    experiment = new_experiment("bench", "bench", variants, Goal.PURCHASE, window, None, START)
    started = time.perf_counter()
    for number in range(PLAYERS):
        experiment.assign(f"p{number}")
    return PLAYERS / (time.perf_counter() - started)


async def _measure(directory: str) -> str:
    variants = (Variant("control", 1, {}), Variant("bundle", 1, {}), Variant("discount", 1, {}))
    window = (START, START + timedelta(days=7))
    experiment = new_experiment("bench", "bench", variants, Goal.PURCHASE, window, None, START)
    olap = ClickHouseOlap(f"chdb://{directory}/olap")
    await olap.start()
    try:
        await upgrade(olap)
        for _ in range(2):  # every row twice: FINAL must fold the copies
            for statement in (EXPOSURES, PURCHASES, PLAY):
                await olap.execute(statement)
        timings, card = [], None
        for _ in range(RUNS):
            started = time.perf_counter()
            card = await measured(experiment, olap)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await olap.close()
    assert card is not None
    exposed = sum(v.exposed for v in card.variants)
    return (
        f"assignment {_assignments_per_second():,.0f} players/s (hash only); scorecard of {exposed:,} exposed "
        f"players among {2 * (PLAYERS + BACKGROUND + BACKGROUND // 10):,} rows (chDB, every row twice) median "
        f"{statistics.median(timings):.0f} ms (runs {', '.join(f'{t:.0f}' for t in timings)}); "
        f"SRM flagged: {card.srm.flagged}"
    )


def _child(directory: str, results: multiprocessing.Queue[str]) -> None:
    results.put(asyncio.run(_measure(directory)))


def run() -> str:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    with tempfile.TemporaryDirectory(prefix="cc-experiment-bench-") as directory:
        child = context.Process(target=_child, args=(directory, results))
        child.start()
        report = results.get(timeout=900)
        child.join()
    return report
