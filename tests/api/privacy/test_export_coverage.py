"""Acceptance: an export holds a record from every table that holds anything of a player. The tables come from the
SQLAlchemy metadata, so a new table without export coverage fails here unless it is listed as holding nothing
per player (the adapter's NOT_PLAYER_DATA) or as written only for an erased player."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.adapters.sqla.models import Base
from src.adapters.sqla.repositories.personal_data import NOT_PLAYER_DATA
from tests.api.privacy.helpers import archive_of
from tests.api.privacy.player import active_player, settled_rows

Client = AsyncTestClient[Litestar]
ONLY_AFTER_ERASURE = {"privacy_tombstones"}


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process", "trust_proxy_headers": "true"}


async def test_an_export_holds_a_record_of_the_player_from_every_table(
    client: Client, admin: dict[str, Any], pg_url: str
) -> None:
    player = await active_player(client, admin)
    await settled_rows(pg_url, player.user_id)

    archive = await archive_of(client, player.tokens)

    expected = set(Base.metadata.tables) - NOT_PLAYER_DATA - ONLY_AFTER_ERASURE
    empty = sorted(table for table in expected if not archive["tables"].get(table))
    assert empty == [], f"tables with no record of the player in the export: {empty}"
    assert archive["tables"]["users"][0]["site_id"] == player.site_id
    assert player.ip in {row["ip"] for row in archive["tables"]["auth_sessions"]}
