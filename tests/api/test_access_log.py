"""The access log and the metrics record the status that was sent, also for requests the authentication
middleware refuses (they are answered inside the middleware stack, not after it)."""

from __future__ import annotations

import pytest
import structlog
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.http import middleware
from tests.support.api import bearer, sign_up


def _count(metrics: str, path: str, status: int) -> float:
    """The request counter of one route template and status (0 before the first such request)."""
    labels = (f'path="{path}"', f'status_code="{status}"')
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("casino_club_requests_total{") and all(label in line for label in labels)
    )


async def test_a_request_refused_by_authentication_is_logged_and_counted_with_its_status(
    client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    # swapped, not captured: structlog caches a logger on first use, and a cached one escapes `capture_logs`
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(middleware, "access_logger", log)
    player = await sign_up(client)
    before = (await client.get("/metrics")).text

    refused = await client.get("/api/auth/sessions")
    expired = await client.get("/api/auth/sessions", headers={"authorization": "Bearer not-a-jwt"})
    allowed = await client.get("/api/auth/sessions", headers=bearer(player))
    after = (await client.get("/metrics")).text

    assert (refused.status_code, expired.status_code, allowed.status_code) == (401, 401, 200)
    lines = [call for call in log.calls if call.kwargs.get("path") == "/api/auth/sessions"]
    assert [(call.args, call.kwargs["status"]) for call in lines] == [(("request",), 401)] * 2 + [(("request",), 200)]
    assert _count(after, "/api/auth/sessions", 401) - _count(before, "/api/auth/sessions", 401) == 2
    assert _count(after, "/api/auth/sessions", 200) - _count(before, "/api/auth/sessions", 200) == 1
