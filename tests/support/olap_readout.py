"""The KPI figures of a chDB store, read by a process of its own: `python -m tests.support.olap_readout DSN FROM TO`
prints them as JSON. chDB locks its directory to one process, so a test reads the store a stopped consumer wrote
this way, whatever chDB store the test's own process holds."""

from __future__ import annotations

import asyncio
import sys
from datetime import date

import msgspec

from src.adapters.clickhouse.olap import ClickHouseOlap
from src.application.analytics.kpis import Period, period_figures
from src.domain.analytics.kpis import PeriodFigures


async def read(dsn: str, start: date, end: date) -> PeriodFigures:
    store = ClickHouseOlap(dsn)
    await store.start()
    try:
        return await period_figures(Period.of(start, end), store)
    finally:
        await store.close()


if __name__ == "__main__":
    dsn, start, end = sys.argv[1], date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
    sys.stdout.buffer.write(msgspec.json.encode(asyncio.run(read(dsn, start, end))))
