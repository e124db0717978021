"""API fixtures: an app on PostgreSQL + Redis with a configured admin, shared by the tests of one module.

Starting an app runs its whole lifespan (database pool, two Redis clients, the OLAP store, hashing the admin's
password), so a module's tests share one app on a Redis namespace of the module; each test still signs up its
own players. The app's routes are built once per process and reused by the next module's app (`app_for`). A
module whose tests need an app each (settings patched before start, a per-test server, state that must start
empty) says so with `pytestmark = pytest.mark.own_app`; a module changes its app's settings by overriding the
module-scoped `app_settings` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.shared.ports import Clock
from src.entrypoints.container import Container
from tests.conftest import SettingsFactory
from tests.support.api import ADMIN_PASSWORD, JWT_SECRET, app_for, unique
from tests.support.loops import run_outside_tests


@pytest.fixture(scope="module")
def module_admin_site_id() -> str:
    return unique("admin")


@pytest.fixture
def admin_site_id(request: pytest.FixtureRequest) -> str:
    """The admin of the test's app: the module's, or one of its own with an app of its own."""
    return unique("admin") if _owns_app(request) else str(request.getfixturevalue("module_admin_site_id"))


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """Settings of the module's app (a module overrides this fixture, at module scope)."""
    return {}


@pytest.fixture(scope="module")
def app_clock() -> Clock | None:
    """The clock of the module's app (None: the system clock); a module overrides this fixture to move time."""
    return None


def _build_app(
    make: SettingsFactory, admin_site_id: str, app_settings: dict[str, Any], clock: Clock | None
) -> Iterator[Litestar]:
    settings = make(admin_site_id=admin_site_id, admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET, **app_settings)
    with app_for(settings, clock) as app:
        yield app


@pytest.fixture(scope="module")
def module_app(
    make_module_settings: SettingsFactory,
    module_admin_site_id: str,
    app_settings: dict[str, Any],
    app_clock: Clock | None,
) -> Iterator[Litestar]:
    yield from _build_app(make_module_settings, module_admin_site_id, app_settings, app_clock)


@pytest.fixture(scope="module")
def module_client(module_app: Litestar) -> Iterator[AsyncTestClient[Litestar]]:
    """The test client runs the app on a thread and loop of its own, so it outlives each test's event loop."""
    yield from _started(module_app)


@pytest.fixture
def own_app(
    make_settings: SettingsFactory, admin_site_id: str, app_settings: dict[str, Any], app_clock: Clock | None
) -> Iterator[Litestar]:
    yield from _build_app(make_settings, admin_site_id, app_settings, app_clock)


@pytest.fixture
def own_client(own_app: Litestar) -> Iterator[AsyncTestClient[Litestar]]:
    yield from _started(own_app)


def _started(app: Litestar) -> Iterator[AsyncTestClient[Litestar]]:
    client = AsyncTestClient(app)
    run_outside_tests(client.__aenter__())
    try:
        yield client
    finally:
        run_outside_tests(client.__aexit__(None, None, None))


def _owns_app(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("own_app") is not None


@pytest.fixture
def app(request: pytest.FixtureRequest) -> Litestar:
    built: Litestar = request.getfixturevalue("own_app" if _owns_app(request) else "module_app")
    return built


@pytest.fixture
def client(request: pytest.FixtureRequest, app: Litestar) -> AsyncTestClient[Litestar]:
    started: AsyncTestClient[Litestar] = request.getfixturevalue(
        "own_client" if _owns_app(request) else "module_client"
    )
    started.cookies.clear()  # nothing a previous test of the module set travels with this one's requests
    return started


@pytest.fixture
def container(app: Litestar, client: AsyncTestClient[Litestar]) -> Container:
    """The app's own composition (valid once the client has started the app)."""
    built: Container = app.state.container
    return built


@pytest.fixture(scope="module")
def module_admin_tokens() -> dict[str, dict[str, Any]]:
    """The tokens of the module app's admin, logged in by the module's first test that asks (a login costs ~40 ms
    of CPU, and tests ask ~370 times): tokens outlive a module's run (JWT_EXPIRE_MINUTES) unless its app's clock
    moves."""
    return {}


@pytest.fixture
async def admin(
    request: pytest.FixtureRequest,
    client: AsyncTestClient[Litestar],
    admin_site_id: str,
    module_admin_tokens: dict[str, dict[str, Any]],
    app_clock: Clock | None,
) -> dict[str, Any]:
    shared = not _owns_app(request) and app_clock is None
    if shared and admin_site_id in module_admin_tokens:
        return module_admin_tokens[admin_site_id]
    response = await client.post("/api/auth/admin/login", json={"site_id": admin_site_id, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    if shared:
        module_admin_tokens[admin_site_id] = tokens
    return tokens
