"""Migrations: every revision goes up, down and up again; the models and the migrations agree."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from src.adapters.sqla import migrations
from src.adapters.sqla.models import Base
from tests.support.databases import DatabaseReaper, create_database


@pytest.fixture
def empty_pg_url(database_reaper: DatabaseReaper) -> Iterator[str]:
    name, url = asyncio.run(create_database("cc_migrations"))
    try:
        yield url
    finally:
        database_reaper.drop(name)


def _revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _schema_diff(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def test_history_is_one_linear_chain() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))

    assert len(script.get_heads()) == 1
    assert len(_revisions_oldest_first()) >= 1


def test_stairway_every_revision_up_down_up_on_postgres(empty_pg_url: str) -> None:
    previous = "base"
    for revision in _revisions_oldest_first():
        migrations.upgrade(empty_pg_url, revision)
        migrations.downgrade(empty_pg_url, previous)
        migrations.upgrade(empty_pg_url, revision)
        previous = revision

    assert _schema_diff(empty_pg_url) == []


def test_models_match_migrations_on_postgres(empty_pg_url: str) -> None:
    migrations.upgrade(empty_pg_url)

    assert _schema_diff(empty_pg_url) == []


def test_models_match_migrations_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"

    migrations.upgrade(url)
    migrations.downgrade(url, "base")
    migrations.upgrade(url)

    assert _schema_diff(url) == []
