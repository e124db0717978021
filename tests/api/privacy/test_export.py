"""Data export: a job builds one JSON archive of the player's data; its owner alone sees and downloads it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.privacy.helpers import archive_of, ready_export, request_export
from tests.support.api import bearer, sign_up
from tests.support.realtime import settle

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process"}


async def test_an_export_holds_the_players_account_plays_and_ledger_and_nobody_elses(client: Client) -> None:
    player, other = await sign_up(client, email="export@example.com"), await sign_up(client)
    await settle(client)
    spun = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
    assert spun.status_code == 200, spun.text
    await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(other))

    archive = await archive_of(client, player)

    tables = archive["tables"]
    me = player["user"]["id"]
    assert archive["player_id"] == me
    assert [row["id"] for row in tables["users"]] == [me]
    assert tables["users"][0]["email"] == "export@example.com"
    assert tables["users"][0]["password_hash"] == "[redacted]"
    assert [row["id"] for row in tables["game_history"]] == [spun.json()["spin_id"]]
    assert {row["reason"] for row in tables["ledger_entries"]} >= {"slot_bet"}
    for rows in tables.values():
        assert all(other["user"]["id"] not in (row.get("user_id"), row.get("id")) for row in rows)
    assert set(archive["olap"]) == {"events", "ledger_movements"}  # the server's process has the OLAP store open
    assert all(row["player_id"] == me for rows in archive["olap"].values() for row in rows)


async def test_another_player_cannot_see_or_download_an_export(client: Client) -> None:
    owner, stranger = await sign_up(client), await sign_up(client)
    export_id = await request_export(client, owner)
    status = await ready_export(client, owner, export_id)

    seen = await client.get(f"/api/me/export/{export_id}", headers=bearer(stranger))
    fetched = await client.get(status["download_url"], headers=bearer(stranger))
    anonymous = await client.get(status["download_url"])

    assert (seen.status_code, seen.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (fetched.status_code, fetched.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert anonymous.status_code == 401
    assert status["progress"] == 100
    assert status["expires_at"] is not None


async def test_an_unknown_export_id_is_not_found(client: Client) -> None:
    player = await sign_up(client)

    for path in ("/api/me/export/nope", "/api/me/export/nope/download", f"/api/me/export/{'x' * 65}"):
        response = await client.get(path, headers=bearer(player))
        assert response.status_code in {400, 404}, response.text
        assert response.json()["error"]["code"] in {"NOT_FOUND", "VALIDATION_ERROR"}
