"""Helpers for API tests: signing players up, bearer headers, running code on the app's loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.shared.ports import Clock
from src.entrypoints.http.app import APP_BUILD_SETTINGS, create_app, serve_with
from src.entrypoints.settings import Settings

PASSWORD = "plum-orbit-canyon-42"
ADMIN_PASSWORD = "admin-lantern-harbor-97"
JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789"
T = TypeVar("T")


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['access_token']}"}


async def sign_up(client: AsyncTestClient[Litestar], **overrides: Any) -> dict[str, Any]:
    site_id = overrides.pop("site_id", unique())
    body = {"site_id": site_id, "nickname": site_id[-20:], "password": PASSWORD, "invite_code": "5858", **overrides}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def in_app(client: AsyncTestClient[Litestar], function: Callable[[], Awaitable[T]]) -> T:
    """Run `function` on the app's own event loop (its pools belong to that loop, not the test's)."""
    return await asyncio.to_thread(client.blocking_portal.call, function)


async def log_in(client: AsyncTestClient[Litestar], site_id: str, password: str = PASSWORD) -> Any:
    return await client.post("/api/auth/login", json={"site_id": site_id, "password": password})


_idle_builds: dict[str, list[tuple[Litestar, frozenset[str]]]] = {}  # this process's built apps none is using


def _routes(app: Litestar) -> frozenset[str]:
    return frozenset(route.path for route in app.routes)


@contextmanager
def app_for(settings: Settings, clock: Clock | None = None, extra_routes: tuple[Any, ...] = ()) -> Iterator[Litestar]:
    """An app with these settings and clock (and a test's `extra_routes`), not running: an idle build of an earlier
    app of this process when one was built with the same APP_BUILD_SETTINGS and extra routes (building the routes
    costs ~0.2 s of CPU, starting the app ~0.07 s). Each start still opens its own container (pools, clients, Redis
    namespace, admin). Stop the app before the block ends; an app that a test gave routes of its own inside the
    block is not handed out again."""
    key = repr([*(getattr(settings, name) for name in APP_BUILD_SETTINGS), *map(id, extra_routes)])
    idle = _idle_builds.setdefault(key, [])
    if idle:
        built, routes = idle.pop()
        app = serve_with(built, settings, clock=clock)
    else:
        app = create_app(settings, clock=clock)
        for route in extra_routes:
            app.register(route)
        routes = _routes(app)
    yield app
    if _routes(app) == routes:
        idle.append((app, routes))


@asynccontextmanager
async def served(settings: Settings, clock: Clock | None = None) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A test client on a started app with these settings (`app_for`), stopped when the block ends."""
    with app_for(settings, clock) as app:
        async with AsyncTestClient(app) as client:
            yield client
