"""What analytics needs from the OLAP store (ClickHouse, or chDB embedded): append rows in batches, read by SQL.

The store is append-only and eventually consistent with the database; counts are exact because consumers
write each event once by its id (ARCHITECTURE.md, invariants).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

Row = Sequence[object]


class OlapStore(Protocol):
    async def ping(self) -> None:
        """Returns once the store answers; raises DependencyUnavailable when it cannot be reached."""
        ...

    async def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None:
        """A statement without rows to return (DDL, a mutation); parameters bind as `{name:Type}`."""
        ...

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> int:
        """Append `rows` (values in `columns` order) in one batch; returns how many were written."""
        ...

    async def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> list[dict[str, object]]:
        """The result rows, each keyed by column name; parameters bind as `{name:Type}`."""
        ...
