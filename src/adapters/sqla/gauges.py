"""What an operator watches in the database: the outbox backlogs and their age (relay and analytics export lag),
and the pool in use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.pool import QueuePool

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.models.outbox import OutboxRow
from src.application.shared.ports import Clock, GaugeSample


class SqlaGauges:
    """Implements GaugeSource: indexed queries per backlog and scrape (the relay's index on published_at, position;
    the exporter's backlog as the unpublished rows not exported there and its lag on its partial index)."""

    def __init__(self, database: SqlaDatabase, clock: Clock, read_pool: DriverPool | None = None) -> None:
        self._database = database
        self._clock = clock
        self._read_pool = read_pool

    async def sample(self) -> Sequence[GaugeSample]:
        table = OutboxRow.__table__
        samples: list[GaugeSample] = []
        unpublished = table.c.published_at.is_(None)
        backlogs = (
            ("outbox", (unpublished,)),
            # not exported: unpublished (the relay's index) or published (the exporter's lag index)
            (
                "outbox_export",
                (unpublished & table.c.exported_at.is_(None), ~unpublished & table.c.exported_at.is_(None)),
            ),
        )
        for prefix, parts in backlogs:
            counts, firsts = [], []
            async with self._database.session_factory() as session:
                for part in parts:
                    statement = select(func.count(), func.min(table.c.created_at)).where(part)
                    count, first = (await session.execute(statement)).one()
                    counts.append(count)
                    firsts += [first] if first is not None else []
            backlog, oldest = sum(counts), min(firsts, default=None)
            lag = 0.0 if oldest is None else max(0.0, (self._clock.now() - oldest).total_seconds())
            samples.append(GaugeSample(f"{prefix}_backlog", {}, float(backlog)))
            samples.append(GaugeSample(f"{prefix}_oldest_age_seconds", {}, lag))
        pool = self._database.engine.pool
        if isinstance(pool, QueuePool):  # SQLite uses a pool without a size
            samples.append(GaugeSample("db_pool_in_use", {}, float(pool.checkedout())))
            samples.append(GaugeSample("db_pool_size", {}, float(pool.size())))
        if self._read_pool is not None:
            in_use = self._read_pool.open_connections() - self._read_pool.idle_connections()
            samples.append(GaugeSample("db_read_pool_in_use", {}, float(in_use)))
            samples.append(GaugeSample("db_read_pool_size", {}, float(self._read_pool.size)))
        return samples
