"""Versioned OLAP schema: migrations applied in order and recorded in `olap_schema_migrations`, like Alembic's.

ClickHouse DDL is not transactional, so every statement is idempotent (IF NOT EXISTS, ADD COLUMN IF NOT EXISTS):
a migration cut short is applied again from its first statement. A new migration is one more entry at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from src.application.analytics.ports import OlapStore

LOG = "olap_schema_migrations"


@dataclass(frozen=True)
class OlapMigration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[OlapMigration, ...] = (
    OlapMigration(
        1,
        "events and ledger movements",
        (
            # not partitioned: ReplacingMergeTree removes duplicates only within a partition, and a backfilled row
            # must meet its live twin wherever their times fall
            """
            CREATE TABLE IF NOT EXISTS events (
                dedup_key String,
                event_id String,
                event_type LowCardinality(String),
                version UInt16,
                occurred_at DateTime64(3, 'UTC'),
                player_id String,
                aggregate_type LowCardinality(String),
                aggregate_id String,
                amount Int64,
                currency LowCardinality(String),
                reason LowCardinality(String),
                status LowCardinality(String),
                rarities Array(LowCardinality(String)),
                promo_code String,
                client_ts Nullable(DateTime64(3, 'UTC')),
                payload String,
                source LowCardinality(String),
                ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
            ) ENGINE = ReplacingMergeTree(ingested_at)
            ORDER BY (event_type, dedup_key)
            """,
            """
            CREATE TABLE IF NOT EXISTS ledger_movements (
                entry_key String,
                event_id String,
                occurred_at DateTime64(3, 'UTC'),
                player_id String,
                currency LowCardinality(String),
                reason LowCardinality(String),
                delta Int64,
                source LowCardinality(String),
                ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
            ) ENGINE = ReplacingMergeTree(ingested_at)
            ORDER BY (currency, reason, entry_key)
            """,
        ),
    ),
)


async def applied_versions(olap: OlapStore) -> set[int]:
    await olap.execute(
        f"CREATE TABLE IF NOT EXISTS {LOG} (version UInt32, name String, applied_at DateTime64(3, 'UTC')) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    rows = await olap.query("SELECT version FROM {log:Identifier} FINAL", {"log": LOG})
    return {int(str(row["version"])) for row in rows}


async def upgrade(olap: OlapStore, migrations: tuple[OlapMigration, ...] = MIGRATIONS) -> list[OlapMigration]:
    """Apply what is missing, in order; returns the migrations applied now."""
    done = await applied_versions(olap)
    applied: list[OlapMigration] = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in done:
            continue
        for statement in migration.statements:
            await olap.execute(statement)
        await olap.insert(
            LOG, ("version", "name", "applied_at"), [(migration.version, migration.name, datetime.now(UTC))]
        )
        applied.append(migration)
    return applied
