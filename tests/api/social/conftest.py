"""Social API fixtures: a fresh player."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import sign_up


@pytest.fixture
async def player(client: Any) -> dict[str, Any]:
    """A new player's tokens."""
    return await sign_up(client)
