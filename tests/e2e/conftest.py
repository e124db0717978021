"""e2e fixtures: a database of the test's own (it may be corrupted) with the settings a CLI run needs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import DatabaseReaper, create_database
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import start_fork_server


@pytest.fixture(scope="session", autouse=True)
def fork_server() -> None:
    """Nearly every e2e test starts `casino-club` processes: the fork server imports while the first one sets up."""
    start_fork_server()


@pytest.fixture
def database(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, asyncpg DSN) of a migrated database this test may tamper with."""
    name, url = asyncio.run(create_database("cc_scratch", template=migrated_template))
    try:
        yield url, url.replace("postgresql+asyncpg://", "postgresql://", 1)
    finally:
        database_reaper.drop(name)


@pytest.fixture
def env(database: tuple[str, str], tmp_path: Path, redis_namespace: str) -> dict[str, str]:
    """Settings for the app and the CLI on that database and the test's Redis namespace."""
    return {
        "DATABASE_URL": database[0],
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
        "JOB_QUEUE": "in-process",
        "TEST_CHEAP_PASSWORD_HASHES": "true",
    }
