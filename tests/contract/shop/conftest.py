"""The shop contract opens adapters the way the wallet contract does (same migrated SQLite template)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.wallet.conftest import UnitOfWorkFactory, open_adapter, sqlite_template

__all__ = ["sqlite_template", "uow_factory"]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[UnitOfWorkFactory]:
    """Each shop contract test runs once per adapter: in memory, SQLite and PostgreSQL (a test may ask for
    "postgres-standalone" too: units of work with a driver pool for their statements that stand alone)."""
    async with open_adapter(request.param, sqlite_template, tmp_path, pg_url) as adapter:
        yield adapter.uow_factory
