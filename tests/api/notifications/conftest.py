"""Notification API fixtures: jobs run in the app process, so push and email sends happen during the test."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """Settings a test module may extend (an SMTP server, a push sender) by overriding this fixture."""
    return {"job_queue": "in-process", "notification_retry_base_seconds": 0.05}
