"""The OLAP store's totals beside the database's, for the pipeline tests: they must be equal."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from src.application.analytics.ports import OlapStore

Totals = dict[tuple[str, str], int]


async def ledger_totals(pg_url: str, players: Sequence[str]) -> Totals:
    """(currency, reason) → sum of deltas of these players' ledger rows in PostgreSQL."""
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT currency, reason, sum(delta) AS total FROM ledger_entries WHERE user_id = ANY($1::text[]) "
            "GROUP BY currency, reason",
            list(players),
        )
    finally:
        await connection.close()
    return {(row["currency"], row["reason"]): int(row["total"]) for row in rows}


async def olap_ledger_totals(olap: OlapStore, players: Sequence[str]) -> Totals:
    """The same sums from the OLAP store, read with FINAL (each ledger row once, however often it was written)."""
    rows = await olap.query(
        "SELECT currency, reason, sum(delta) AS total FROM ledger_movements FINAL "
        "WHERE player_id IN {players:Array(String)} GROUP BY currency, reason",
        {"players": list(players)},
    )
    return {(str(row["currency"]), str(row["reason"])): int(str(row["total"])) for row in rows}


async def olap_event_counts(olap: OlapStore, players: Sequence[str], *, final: bool = True) -> dict[str, int]:
    """event type → rows of these players (with FINAL: each event once; without: every copy written)."""
    table = "events FINAL" if final else "events"
    rows = await olap.query(
        f"SELECT event_type, count() AS n FROM {table} WHERE player_id IN {{players:Array(String)}} "  # noqa: S608
        "GROUP BY event_type",
        {"players": list(players)},
    )
    return {str(row["event_type"]): int(str(row["n"])) for row in rows}
