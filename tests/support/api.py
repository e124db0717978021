"""Helpers for API tests: signing players up, bearer headers, running code on the app's loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Litestar
from litestar.testing import AsyncTestClient

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
