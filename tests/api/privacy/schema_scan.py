"""Where a text appears in the database: every text, varchar and JSON column of every table of the schema."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


async def places_holding(pg_url: str, needles: Iterable[str]) -> dict[str, list[str]]:
    """needle → the `table.column` names whose value contains it somewhere (JSON documents as their text)."""
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY($1::text[]) ORDER BY table_name, column_name",
            list(TEXT_TYPES),
        )
        found: dict[str, list[str]] = {}
        for needle in needles:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for column in columns:
                table, name = column["table_name"], column["column_name"]
                hit = await connection.fetchval(
                    f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{name}"::text LIKE $1)',  # noqa: S608 - names from the catalog
                    pattern,
                )
                if hit:
                    found.setdefault(needle, []).append(f"{table}.{name}")
        return found
    finally:
        await connection.close()
