"""GET /api/realtime/sse: the same events with `id:` lines, Last-Event-ID, and the same admission rules.

The test client collects a response whole, so each stream here is ended by logging its session out (the
server ends a revoked session's stream) and then read.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.realtime.conftest import OpenClient
from tests.support.api import bearer, log_in, sign_up
from tests.support.realtime import GRANT_TYPES, eventually, grant, log_in_admin, settle

# An app each: a module app would keep polling the outbox of the shared database beside the apps these tests
# open with settings of their own (another Redis namespace, so another relay lock), delivering their events
# too: to its own sockets (a frame never arrives) or at once with theirs (a frame arrives twice).
pytestmark = pytest.mark.own_app

SSE = "/api/realtime/sse"


def _parse(body: str) -> list[dict[str, Any]]:
    """Events of an SSE body: their `id:` and the JSON of their `data:` (comments dropped)."""
    parsed = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":"))
        if "data" in fields:
            parsed.append({"sse_id": fields.get("id"), **json.loads(fields["data"])})
    return parsed


async def _stream_until_logout(
    client: AsyncTestClient[Litestar], player: dict[str, Any], during: Any, **request: Any
) -> httpx.Response:
    """Open the stream, run `during()`, log the player's session out and return the whole response."""
    hub = client.app.state.container.realtime
    user_id = player["user"]["id"]
    opened = asyncio.create_task(asyncio.to_thread(lambda: asyncio.run(client.get(SSE, **request))))
    await eventually(lambda: hub.connection_count(user_id) == 1 or opened.done())
    await during()
    await client.post("/api/auth/logout", headers=bearer(player))
    return await asyncio.wait_for(opened, 10)


async def test_events_arrive_with_id_lines_matching_their_ids(open_client: OpenClient, admin_site_id: str) -> None:
    async with open_client(realtime_session_check_seconds=0.2) as client:
        admin = await log_in_admin(client, admin_site_id)
        player = await sign_up(client)
        await settle(client)

        async def cause() -> None:
            await grant(client, admin, player["user"]["id"], amount=40)
            await settle(client)

        response = await _stream_until_logout(client, player, cause, headers=bearer(player))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    got = _parse(response.text)
    assert {event["type"] for event in got} == GRANT_TYPES
    assert all(event["sse_id"] == str(event["id"]) for event in got)


async def test_last_event_id_replays_what_came_after_it(open_client: OpenClient, admin_site_id: str) -> None:
    async with open_client(realtime_session_check_seconds=0.2) as client:
        admin = await log_in_admin(client, admin_site_id)
        player = await sign_up(client)
        await settle(client)
        user_id = player["user"]["id"]

        async def cause() -> None:
            await grant(client, admin, user_id, amount=1)
            await settle(client)

        first = _parse((await _stream_until_logout(client, player, cause, headers=bearer(player))).text)
        await grant(client, admin, user_id, amount=2)
        await settle(client)
        again = (await log_in(client, player["user"]["site_id"])).json()

        last = max(event["id"] for event in first)
        hub = client.app.state.container.realtime

        async def replayed() -> None:  # sent before the logout closes the stream (closing drops what is queued)
            await eventually(lambda: any(c.last_sent_id > last for c in hub.connections_of(user_id)), 10)

        response = await _stream_until_logout(
            client, again, replayed, params={"token": again["access_token"]}, headers={"last-event-id": str(last)}
        )

    replayed = _parse(response.text)
    assert [event["data"].get("amount") for event in replayed if event["type"] == "reward_granted"] == [2]
    assert all(event["id"] > last for event in replayed)


async def test_without_a_token_the_answer_is_401(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get(SSE)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_an_origin_outside_cors_origins_is_refused_as_on_the_websocket(open_client: OpenClient) -> None:
    async with open_client(cors_origins="https://play.example", realtime_session_check_seconds=0.2) as client:
        player = await sign_up(client)
        refused = await client.get(SSE, headers={**bearer(player), "origin": "https://evil.example"})
        listed = await _stream_until_logout(
            client, player, _nothing, headers={**bearer(player), "origin": "https://play.example"}
        )
        again = (await log_in(client, player["user"]["site_id"])).json()
        own_origin = f"http://{client.base_url.netloc.decode()}"
        same_origin = await _stream_until_logout(
            client, again, _nothing, headers={**bearer(again), "origin": own_origin}
        )

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert listed.status_code == 200, listed.text
    assert listed.headers["content-type"].startswith("text/event-stream")
    assert same_origin.status_code == 200, same_origin.text


async def _nothing() -> None:
    """Nothing happens while the stream is open: it is ended by the logout, and its answer is what is checked."""


async def test_a_bad_last_event_id_is_a_validation_error(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    response = await client.get(SSE, headers={**bearer(player), "last-event-id": "yesterday"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_a_stream_beyond_the_cap_is_rate_limited(open_client: OpenClient) -> None:
    async with open_client(realtime_max_connections_per_user=1, realtime_session_check_seconds=0.2) as client:
        player = await sign_up(client)

        async def second_stream() -> None:
            refused = await client.get(SSE, headers=bearer(player))
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "RATE_LIMITED"

        response = await _stream_until_logout(client, player, second_stream, headers=bearer(player))
    assert response.status_code == 200


async def test_the_published_schema_lists_the_sse_route(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/realtime/sse"]["get"]
    assert operation["operationId"] == "realtime_sse"
    assert {"401", "403", "429"} <= set(operation["responses"])
    assert operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")
