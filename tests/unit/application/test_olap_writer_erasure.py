"""The OLAP writer and an erasure: PlayerErased is not stored; the player's rows, this batch's included, go."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.writer import OlapEventWriter

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class RecordingOlap:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def ping(self) -> None: ...

    async def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None: ...

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
        self.calls.append(("insert", (table, [row[5] for row in rows] if table == "events" else len(rows))))
        return len(rows)

    async def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> list[dict[str, object]]:
        return []

    async def delete_player(self, player_id: str) -> None:
        self.calls.append(("delete_player", player_id))


def _event(event_type: str, player: str) -> AnalyticsEvent:
    return AnalyticsEvent(f"e-{event_type}-{player}", event_type, 1, AT, player, "user", player, {})


async def test_player_erased_deletes_the_players_rows_after_writing_the_batch_and_is_not_stored() -> None:
    olap = RecordingOlap()
    sut = OlapEventWriter(olap)

    await sut.publish([_event("UserLoggedIn", "p1"), _event("UserLoggedIn", "p2"), _event("PlayerErased", "p1")])

    assert olap.calls == [
        ("insert", ("events", ["p1", "p2"])),
        ("insert", ("ledger_movements", 0)),
        ("delete_player", "p1"),
    ]
