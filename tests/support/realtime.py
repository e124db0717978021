"""Helpers for realtime tests: waiting for things to happen, reading frames, causing events."""

from __future__ import annotations

import asyncio
import queue
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient, WebSocketTestSession

from tests.support.api import ADMIN_PASSWORD, bearer

WS = "/api/realtime/ws"
GRANT_FRAMES = 3
GRANT_TYPES = {"reward_granted", "profile_update", "notification"}
# how long a frame or condition may take: only a failing test waits this long, and a loaded machine takes seconds
WITHIN_SECONDS = 15.0


async def eventually(condition: Callable[[], object], within_seconds: float = WITHIN_SECONDS) -> None:
    deadline = time.monotonic() + within_seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.01)


async def receive(session: WebSocketTestSession, within_seconds: float = WITHIN_SECONDS) -> dict[str, Any]:
    """The next frame (the test session blocks, so it waits in a thread)."""
    frame: dict[str, Any] = await asyncio.to_thread(session.receive_json, timeout=within_seconds)
    return frame


async def events(
    session: WebSocketTestSession, count: int, within_seconds: float = WITHIN_SECONDS
) -> list[dict[str, Any]]:
    """The next `count` frames that are events (heartbeats and other control frames skipped)."""
    got: list[dict[str, Any]] = []
    while len(got) < count:
        frame = await receive(session, within_seconds)
        if frame["id"] is not None:
            got.append(frame)
    return got


async def receive_nothing_for(session: WebSocketTestSession, seconds: float) -> None:
    """Only heartbeats may arrive for `seconds` (a close or an event fails the test)."""
    try:
        while True:
            frame = await receive(session, within_seconds=seconds)
            assert frame["type"] == "heartbeat", frame
    except queue.Empty:
        return


async def close_code(session: WebSocketTestSession, within_seconds: float = 3.0) -> int:
    """Read until the server closes the socket; its close code (frames before it are dropped)."""
    while True:
        try:
            await receive(session, within_seconds)
        except WebSocketDisconnect as closed:
            return int(closed.code)


async def grant(client: AsyncTestClient[Litestar], admin: dict[str, Any], user_id: str, amount: int = 100) -> None:
    """An admin grant: reward_granted and profile_update for the player, then the `notification` of its inbox row
    (written by a consumer of the grant, so one relay pass later): GRANT_FRAMES events."""
    response = await client.post(
        f"/api/admin/users/{user_id}/grant",
        json={"currency": "coins", "amount": amount, "reason": "realtime test"},
        headers={**bearer(admin), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


async def settle(client: AsyncTestClient[Litestar]) -> None:
    """Wait until the relay has delivered every committed event, and those its consumers wrote in turn (a signup's
    starting balance is credited by a consumer of UserSignedUp)."""
    container = client.app.state.container
    for _ in range(10):
        if not await asyncio.to_thread(client.blocking_portal.call, container.relay.drain):
            return


async def log_in_admin(client: AsyncTestClient[Litestar], site_id: str) -> dict[str, Any]:
    response = await client.post("/api/auth/admin/login", json={"site_id": site_id, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
