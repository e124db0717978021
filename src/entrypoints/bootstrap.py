"""Composition root: reads settings and wires every port to an adapter. The only importer of adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from redis.asyncio import Redis

from src.adapters.clickhouse.olap import ClickHouseOlap, ClickHouseProbe
from src.adapters.memory.cache import InMemoryCache
from src.adapters.redis.cache import RedisCache
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase, SqlaDatabaseProbe
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.adapters.system.clock import SystemClock
from src.application.shared.ports import Cache
from src.application.shared.readiness import CacheProbe
from src.entrypoints.container import Container
from src.entrypoints.settings import Settings


async def _open_cache(settings: Settings, stack: AsyncExitStack) -> Cache:
    if not settings.redis_url:
        return InMemoryCache()
    client = Redis.from_url(settings.redis_url)
    stack.push_async_callback(client.aclose)
    return RedisCache(client, namespace=settings.redis_namespace)


@asynccontextmanager
async def open_container(settings: Settings) -> AsyncIterator[Container]:
    """Open pools and clients for the lifetime of the block; everything is closed on exit."""
    settings.check_production_safety()
    async with AsyncExitStack() as stack:
        database = SqlaDatabase(settings.database_url, pool_size=settings.db_pool_size)
        stack.push_async_callback(database.dispose)
        cache = await _open_cache(settings, stack)
        olap = ClickHouseOlap(settings.clickhouse_dsn)
        await olap.start()
        stack.push_async_callback(olap.close)
        yield Container(
            settings=settings,
            clock=SystemClock(),
            cache=cache,
            uow_factory=lambda: SqlaUnitOfWork(database.session_factory),
            probes=[SqlaDatabaseProbe(database), CacheProbe(cache), ClickHouseProbe(olap)],
        )


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to `revision` (blocking; run it before serving or from a thread)."""
    migrations.upgrade(settings.database_url, revision)
