"""Realtime API fixtures: apps with the realtime settings a test chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import SettingsFactory
from tests.support.api import ADMIN_PASSWORD, JWT_SECRET, app_for

OpenClient = Callable[..., AbstractAsyncContextManager[AsyncTestClient[Litestar]]]


@pytest.fixture
def open_client(make_settings: SettingsFactory, admin_site_id: str) -> OpenClient:
    """`async with open_client(realtime_queue_size=2) as client:` an app with those settings and the admin."""

    @asynccontextmanager
    async def open_one(**overrides: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
        settings = make_settings(
            admin_site_id=admin_site_id, admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET, **overrides
        )
        with app_for(settings) as app:
            async with AsyncTestClient(app) as client:
                yield client

    return open_one
