"""The OLAP tables the writer fills and the KPI queries read (DDL: src/adapters/clickhouse/migrations.py).

Both are ReplacingMergeTree keyed by the row's identity: read them with FINAL and every count is exact, however
often an event was delivered (README, "Event pipeline").
"""

from __future__ import annotations

EVENTS = "events"
LEDGER = "ledger_movements"

EVENT_COLUMNS = (
    "dedup_key",
    "event_id",
    "event_type",
    "version",
    "occurred_at",
    "player_id",
    "aggregate_type",
    "aggregate_id",
    "amount",
    "currency",
    "reason",
    "status",
    "rarities",
    "promo_code",
    "client_ts",
    "payload",
    "source",
)
LEDGER_COLUMNS = ("entry_key", "event_id", "occurred_at", "player_id", "currency", "reason", "delta", "source")

STREAM = "stream"  # rows written by the live pipeline
BACKFILL = "backfill"  # rows rebuilt from the database by `casino-club backfill-olap`

PLAYER_ERASED = "PlayerErased"  # the event after which the writer deletes the player's rows (privacy)
