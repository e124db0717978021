"""A player's rows in the OLAP store, for their data export (privacy): events and ledger movements."""

from __future__ import annotations

from typing import Any

from src.application.analytics.ports import OlapStore
from src.application.analytics.tables import EVENTS, LEDGER


async def player_history(olap: OlapStore, player_id: str) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows of the player (FINAL: one per key, as the KPIs count them), oldest first."""
    history: dict[str, list[dict[str, Any]]] = {}
    for table in (EVENTS, LEDGER):
        history[table] = await olap.query(
            "SELECT * FROM {table:Identifier} FINAL WHERE player_id = {player:String} ORDER BY occurred_at",
            {"table": table, "player": player_id},
        )
    return history
