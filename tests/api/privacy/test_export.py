"""Data export: a job builds one JSON archive of the player's data; its owner alone sees and downloads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.privacy import requests
from src.domain.privacy.model import RequestKind
from src.entrypoints.container import Container
from tests.api.privacy.helpers import archive_of, ready_export, request_export
from tests.support.api import bearer, in_app, sign_up
from tests.support.clocks import FakeClock
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


async def test_an_export_past_its_time_is_expired_and_its_archive_deleted(
    client: Client, container: Container, admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    export_id = await request_export(client, player)
    ready = await ready_export(client, player, export_id)
    later = replace(container.privacy, clock=FakeClock(datetime.now(UTC) + timedelta(hours=49)))

    swept = await in_app(client, lambda: requests.expire_exports(later))

    status = (await client.get(f"/api/me/export/{export_id}", headers=bearer(player))).json()
    download = await client.get(ready["download_url"], headers=bearer(player))
    listed = (await client.get("/api/admin/privacy/requests?kind=export&limit=100", headers=bearer(admin))).json()
    assert swept >= 1  # the database is shared: other tests' exports may be swept too
    assert (status["status"], status["download_url"]) == ("expired", None)
    assert (download.status_code, download.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert [r["status"] for r in listed["items"] if r["id"] == export_id] == ["expired"]


async def test_an_export_whose_job_was_lost_is_queued_again_by_the_sweep(client: Client, container: Container) -> None:
    player = await sign_up(client)
    lost = await in_app(
        client, lambda: requests.open_request(player["user"]["id"], RequestKind.EXPORT, container.privacy)
    )
    later = replace(container.privacy, clock=FakeClock(datetime.now(UTC) + timedelta(minutes=11)))

    requeued = await in_app(client, lambda: requests.requeue_stalled(later))

    assert requeued >= 1
    assert (await ready_export(client, player, lost.id))["progress"] == 100


async def test_a_second_export_while_one_is_being_built_is_the_same_export(
    client: Client, container: Container
) -> None:
    player = await sign_up(client)
    pending = await in_app(
        client, lambda: requests.open_request(player["user"]["id"], RequestKind.EXPORT, container.privacy)
    )

    again = await client.post("/api/me/export", headers=bearer(player))

    assert (again.status_code, again.json()["export_id"]) == (202, pending.id)


async def test_a_request_unfinished_a_day_later_is_marked_failed_not_queued_again(
    client: Client, container: Container
) -> None:
    player = await sign_up(client)
    lost = await in_app(
        client, lambda: requests.open_request(player["user"]["id"], RequestKind.EXPORT, container.privacy)
    )
    day_later = replace(container.privacy, clock=FakeClock(datetime.now(UTC) + timedelta(hours=25)))

    await in_app(client, lambda: requests.requeue_stalled(day_later))

    status = (await client.get(f"/api/me/export/{lost.id}", headers=bearer(player))).json()
    assert (status["status"], status["download_url"]) == ("failed", None)


async def test_a_sixth_export_within_a_day_is_rate_limited(client: Client) -> None:
    player = await sign_up(client)
    for _ in range(5):
        await ready_export(client, player, await request_export(client, player))

    sixth = await client.post("/api/me/export", headers=bearer(player))

    assert (sixth.status_code, sixth.json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert 0 < int(sixth.headers["retry-after"]) <= 24 * 3600
