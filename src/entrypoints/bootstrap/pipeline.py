"""The event pipeline's processes beside the app: the Kafka → OLAP consumer and the OLAP backfill."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from src.adapters.clickhouse import migrations as olap_migrations
from src.adapters.clickhouse.olap import ClickHouseOlap
from src.adapters.kafka.consumer import KafkaOlapConsumer
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.analytics_history import SqlaAnalyticsHistory
from src.application.analytics.backfill import AnalyticsHistory
from src.application.analytics.ports import EventConsumer, OlapStore
from src.application.analytics.writer import OlapEventWriter
from src.entrypoints.settings import Settings, SettingsError


async def _migrated_olap(settings: Settings, stack: AsyncExitStack) -> ClickHouseOlap:
    olap = ClickHouseOlap(settings.clickhouse_dsn)
    await olap.start()
    stack.push_async_callback(olap.close)
    await olap_migrations.upgrade(olap)  # idempotent: the tables this process writes exist before it writes
    return olap


@asynccontextmanager
async def olap_consumer(settings: Settings) -> AsyncIterator[EventConsumer]:
    """The consumer group member that writes the events topic to the OLAP store."""
    if not settings.kafka_bootstrap_servers:
        raise SettingsError("consume reads Kafka: set KAFKA_BOOTSTRAP_SERVERS (without it the server writes events "
                            "to the OLAP store itself)")  # fmt: skip
    async with AsyncExitStack() as stack:
        olap = await _migrated_olap(settings, stack)
        yield KafkaOlapConsumer(
            settings.kafka_bootstrap_servers,
            settings.kafka_events_topic,
            settings.kafka_consumer_group,
            OlapEventWriter(olap),
            batch_size=settings.kafka_consumer_batch_size,
        )


@asynccontextmanager
async def olap_backfill(settings: Settings) -> AsyncIterator[tuple[AnalyticsHistory, OlapStore]]:
    """The database's history and the OLAP store it is written to."""
    async with AsyncExitStack() as stack:
        database = SqlaDatabase(settings.database_url, pool_size=2)
        stack.push_async_callback(database.dispose)
        olap = await _migrated_olap(settings, stack)
        yield SqlaAnalyticsHistory(database.session_factory), olap
