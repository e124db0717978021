"""Property: no request, however odd its path values, query or body, gets a 5xx from any route of the published
OpenAPI document. Requests are drawn per operation from its schema (tests/support/openapi_strategies.py), sent as
a player, an admin and nobody, so protected routes read their bodies instead of answering 401.

Bounded and reproducible: a fixed number of examples per operation, derandomized (the same requests every run).
The requests go straight to the app on one event loop of the test's own (`LoopClient`), its lifespan included:
Litestar's test clients (the async one too) hand every request over to a loop on another thread, twice, about
0.5 ms of CPU a request and a tenth of this test's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from litestar import Litestar

from tests.support.api import ADMIN_PASSWORD, PASSWORD, unique
from tests.support.openapi_strategies import FuzzRequest, Operation, SchemaStrategies, operations, requests

EXAMPLES_PER_OPERATION = 30  # ~10 s alone, ~35 s beside the whole suite on two loaded cores
SKIPPED = {"GET /api/realtime/sse"}  # a stream that stays open: tests/api/realtime covers it
SESSION_ENDING = {"POST /api/auth/logout", "POST /api/auth/logout-all", "DELETE /api/auth/sessions/{session_id}"}
REFUSED_AT_THE_DOOR = {"UNAUTHORIZED", "TOKEN_EXPIRED", "TOKEN_REVOKED", "FORBIDDEN"}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


T = TypeVar("T")


class LoopClient:
    """A synchronous HTTP client for the app, on an event loop of its own that also runs the app's lifespan
    (never installed as the current loop, so pytest-asyncio's loops are untouched). The app's background tasks
    run while a request is in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        self._loop = loop
        self._client = client

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def started(app: Litestar) -> Iterator[LoopClient]:
    """The app's lifespan held by one task of the loop (its task groups must end in the task that began them)."""
    loop = asyncio.new_event_loop()
    up, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            up.set()
            await stop.wait()

    async def wait_until_up(serving: asyncio.Task[None]) -> None:
        waiting = asyncio.ensure_future(up.wait())
        await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if serving.done():
            serving.result()  # the lifespan failed: its error

    try:
        serving = loop.create_task(serve())
        loop.run_until_complete(wait_until_up(serving))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
        try:
            yield LoopClient(loop, http)
        finally:
            loop.run_until_complete(http.aclose())
            stop.set()
            loop.run_until_complete(serving)
    finally:
        loop.close()


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """The API fixtures' app, with the per-IP auth rate limit out of the way: every request comes from one IP."""
    return {"rate_limit_auth_per_minute": 1_000_000}


class Sessions:
    """A player's and an admin's bearer headers, logged in again after a request that may have ended them."""

    def __init__(self, client: LoopClient, admin_site_id: str) -> None:
        self._client = client
        self._credentials = {"admin": (admin_site_id, ADMIN_PASSWORD), "player": (unique("fuzz"), PASSWORD)}
        site_id = self._credentials["player"][0]
        signup = {"site_id": site_id, "nickname": site_id[-20:], "password": PASSWORD, "invite_code": "5858"}
        created = client.post("/api/auth/signup", json=signup)
        assert created.status_code == 201, created.text
        self.ids = [created.json()["user"]["id"]]
        self._headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for role in ("admin", "player"):
            self.renew(role)

    def renew(self, role: str) -> None:
        if role == "anonymous":
            return
        site_id, password = self._credentials[role]
        path = "/api/auth/admin/login" if role == "admin" else "/api/auth/login"
        response = self._client.post(path, json={"site_id": site_id, "password": password})
        assert response.status_code == 200, response.text
        self._headers[role] = {"authorization": f"Bearer {response.json()['access_token']}"}

    def headers(self, role: str) -> dict[str, str]:
        return dict(self._headers[role])


def send(client: LoopClient, sessions: Sessions, request: FuzzRequest) -> Any:
    headers = sessions.headers(request.role)
    if request.content_type:
        headers["content-type"] = request.content_type
    if request.idempotency_key is not None:
        headers["idempotency-key"] = request.idempotency_key
    return client.request(request.method, request.url, params=request.query, content=request.body, headers=headers)


def fuzz(client: LoopClient, sessions: Sessions, operation: Operation, strategy: Any) -> set[str]:
    """Run one operation's examples; what they were answered (a status, or the refusal code)."""
    answers: set[str] = set()
    roles = ["admin"] if operation.path.startswith("/api/admin") else ["player", "admin"]

    @FUZZ_SETTINGS
    @given(strategy(operation, sessions.ids, [*roles, "anonymous"]))
    def run(request: FuzzRequest) -> None:
        response = send(client, sessions, request)
        code = response.json()["error"]["code"] if response.status_code >= 400 and response.content else None
        answers.add(code or str(response.status_code))
        if (operation.name in SESSION_ENDING and response.status_code < 400) or code == "TOKEN_REVOKED":
            sessions.renew(request.role)
        assert response.status_code < 500, f"{request}\n→ {response.status_code} {response.text}"

    run()
    return answers


@pytest.mark.slow  # tens of seconds in one test: started first in an xdist worker's share (tests/conftest.py)
def test_no_request_gets_a_5xx_from_any_route(app: Litestar, admin_site_id: str) -> None:
    with started(app) as client:
        document = client.get("/schema/openapi.json").json()
        sessions = Sessions(client, admin_site_id)
        strategies = SchemaStrategies(document)
        found = operations(document, skip=SKIPPED)
        answered: dict[str, set[str]] = defaultdict(set)
        for operation in found:
            answered[operation.name] = fuzz(
                client, sessions, operation, lambda op, ids, roles: requests(strategies, op, ids, roles)
            )

    assert len(found) > 80
    never_past_the_door = sorted(name for name, codes in answered.items() if codes <= REFUSED_AT_THE_DOOR)
    assert never_past_the_door == [], "these routes never read their input"
