"""Notification API fixtures: jobs run in the app process, so push and email sends happen during the test."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar

from src.entrypoints.http.app import create_app
from tests.conftest import SettingsFactory
from tests.support.api import ADMIN_PASSWORD, JWT_SECRET


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Overrides a test module may extend (an SMTP server, a push sender)."""
    return {}


@pytest.fixture
def app(make_settings: SettingsFactory, admin_site_id: str, app_settings: dict[str, Any]) -> Litestar:
    settings = make_settings(
        admin_site_id=admin_site_id,
        admin_password=ADMIN_PASSWORD,
        jwt_secret=JWT_SECRET,
        job_queue="in-process",
        notification_retry_base_seconds=0.05,
        **app_settings,
    )
    return create_app(settings)
