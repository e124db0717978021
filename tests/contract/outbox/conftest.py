"""The outbox store on each adapter, beside units of work that write to it (opened as in the wallet contract).

PostgreSQL is the session's shared database, whose outbox other suites fill too: tests look at their own events
and compare against what `unpublished` returns, never assume the outbox starts empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.wallet.conftest import Adapter, open_adapter, sqlite_template

__all__ = ["adapter", "sqlite_template"]


# Both databases are requested for every adapter: their session fixtures run asyncio.run, which cannot be
# called lazily (getfixturevalue) from inside this async fixture's running loop.
@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def adapter(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[Adapter]:
    async with open_adapter(request.param, sqlite_template, tmp_path, pg_url) as opened:
        yield opened
