"""API fixtures: an app on PostgreSQL + Redis with a configured admin."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from src.entrypoints.http.app import create_app
from tests.conftest import SettingsFactory
from tests.support.api import ADMIN_PASSWORD, JWT_SECRET, unique


@pytest.fixture
def admin_site_id() -> str:
    return unique("admin")


@pytest.fixture
def app(make_settings: SettingsFactory, admin_site_id: str) -> Litestar:
    return create_app(make_settings(admin_site_id=admin_site_id, admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET))


@pytest.fixture
def container(app: Litestar, client: AsyncTestClient[Litestar]) -> Container:
    """The app's own composition (valid once the client has started the app)."""
    built: Container = app.state.container
    return built


@pytest.fixture
async def admin(client: AsyncTestClient[Litestar], admin_site_id: str) -> dict[str, Any]:
    response = await client.post("/api/auth/admin/login", json={"site_id": admin_site_id, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
