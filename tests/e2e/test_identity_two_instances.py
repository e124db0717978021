"""Two app processes on one PostgreSQL database and one Redis namespace: identity state is shared at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import NamedTuple

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.env import TEST_REDIS_URL
from tests.support.processes import serving
from tests.support.redis_keys import delete_namespace, new_namespace

pytestmark = pytest.mark.e2e

PASSWORD = "plum-orbit-canyon-42"
WRONG_PASSWORD = "plum-orbit-canyon-43"
MAX_FAILED_ATTEMPTS = 5


class Instances(NamedTuple):
    a: httpx.Client
    b: httpx.Client


async def _delete_keys(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def instances(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    """Both instances start once for the module; each has its own VAR_DIR because chDB locks its directory."""
    namespace = new_namespace()
    shared = {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": namespace,
        "LOG_LEVEL": "WARNING",
    }
    try:
        with ExitStack() as stack:
            clients = []
            for name in ("a", "b"):
                var_dir = tmp_path_factory.mktemp(f"instance-{name}")
                base_url = stack.enter_context(serving({**shared, "VAR_DIR": str(var_dir)}))
                clients.append(stack.enter_context(httpx.Client(base_url=base_url, timeout=10)))
            yield Instances(*clients)
    finally:
        asyncio.run(_delete_keys(namespace))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def _sign_up(client: httpx.Client) -> tuple[str, dict[str, object]]:
    """A fresh account; returns its site_id and the tokens of the signup session."""
    site_id = f"u{uuid.uuid4().hex[:16]}"
    body = {"site_id": site_id, "nickname": f"n{uuid.uuid4().hex[:12]}", "password": PASSWORD, "invite_code": "5858"}
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return site_id, response.json()


def _log_in(client: httpx.Client, site_id: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"site_id": site_id, "password": password})


def test_logout_on_one_instance_revokes_the_access_token_on_the_other(instances: Instances) -> None:
    site_id, _ = _sign_up(instances.a)
    tokens = _log_in(instances.a, site_id, PASSWORD).json()
    headers = _bearer(tokens["access_token"])
    before = instances.b.get("/api/auth/me", headers=headers)
    assert before.status_code == 200, before.text
    assert before.json()["site_id"] == site_id

    logout = instances.a.post("/api/auth/logout", headers=headers)
    sut = instances.b.get("/api/auth/me", headers=headers)

    assert logout.status_code == 204, logout.text
    assert sut.status_code == 401, sut.text
    assert _error_code(sut) == "TOKEN_REVOKED"


def test_failed_logins_on_both_instances_add_up_to_one_lockout(instances: Instances) -> None:
    site_id, _ = _sign_up(instances.a)
    alternating = [instances.a, instances.b] * MAX_FAILED_ATTEMPTS
    failures = [_log_in(client, site_id, WRONG_PASSWORD) for client in alternating[:MAX_FAILED_ATTEMPTS]]
    assert [response.status_code for response in failures] == [401] * MAX_FAILED_ATTEMPTS
    assert {_error_code(response) for response in failures} == {"INVALID_CREDENTIALS"}

    on_b = _log_in(instances.b, site_id, PASSWORD)
    on_a = _log_in(instances.a, site_id, PASSWORD)

    for sut in (on_b, on_a):
        assert sut.status_code == 429, sut.text
        assert _error_code(sut) == "LOGIN_LOCKED"
        assert 1 <= int(sut.headers["Retry-After"]) <= 600


def test_refresh_token_reuse_on_the_other_instance_ends_the_session(instances: Instances) -> None:
    _, tokens = _sign_up(instances.a)
    old_refresh = tokens["refresh_token"]
    rotated = instances.a.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert rotated.status_code == 200, rotated.text
    new_refresh = rotated.json()["refresh_token"]

    reuse = instances.b.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    sut = instances.a.post("/api/auth/refresh", json={"refresh_token": new_refresh})

    assert reuse.status_code == 401, reuse.text
    assert _error_code(reuse) == "REFRESH_REUSED"
    assert sut.status_code == 401, sut.text
