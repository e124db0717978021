"""Helpers of the privacy API tests: requesting an export and waiting for it, reading the archive."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import bearer
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]


async def request_export(client: Client, player: dict[str, Any]) -> str:
    response = await client.post("/api/me/export", headers=bearer(player))
    assert response.status_code == 202, response.text
    export_id: str = response.json()["export_id"]
    return export_id


async def ready_export(client: Client, player: dict[str, Any], export_id: str) -> dict[str, Any]:
    async def ready() -> dict[str, Any] | None:
        response = await client.get(f"/api/me/export/{export_id}", headers=bearer(player))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] in {"queued", "running", "ready"}, body
        return body if body["status"] == "ready" else None

    return await eventually(ready, deadline=60)


async def archive_of(client: Client, player: dict[str, Any]) -> dict[str, Any]:
    """A new export of the player, built and downloaded: the archive's JSON document."""
    export_id = await request_export(client, player)
    status = await ready_export(client, player, export_id)
    response = await client.get(status["download_url"], headers=bearer(player))
    assert response.status_code == 200, response.text
    assert response.headers["content-encoding"] == "gzip"
    document: dict[str, Any] = response.json()
    return document
