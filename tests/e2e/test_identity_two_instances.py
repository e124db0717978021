"""Two app processes on one PostgreSQL database and one Redis namespace: identity state is shared at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import httpx
import pytest

from tests.support.env import TEST_REDIS_URL
from tests.support.processes import two_instances

pytestmark = pytest.mark.e2e

PASSWORD = "plum-orbit-canyon-42"
WRONG_PASSWORD = "plum-orbit-canyon-43"
MAX_FAILED_ATTEMPTS = 5


class Instances(NamedTuple):
    """The system under test: two app processes sharing PostgreSQL and Redis, one client for each."""

    a: httpx.Client
    b: httpx.Client


@pytest.fixture(scope="module")
def sut(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    with (
        two_instances(pg_url, TEST_REDIS_URL, tmp_path_factory.mktemp("identity")) as urls,
        httpx.Client(base_url=urls[0], timeout=10) as first,
        httpx.Client(base_url=urls[1], timeout=10) as second,
    ):
        yield Instances(first, second)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def _sign_up(client: httpx.Client) -> tuple[str, dict[str, Any]]:
    """A fresh account; returns its site_id and the tokens of the signup session."""
    site_id = f"u{uuid.uuid4().hex[:16]}"
    body = {"site_id": site_id, "nickname": f"n{uuid.uuid4().hex[:12]}", "password": PASSWORD, "invite_code": "5858"}
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return site_id, response.json()


def _log_in(client: httpx.Client, site_id: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"site_id": site_id, "password": password})


def test_logout_on_one_instance_revokes_the_access_token_on_the_other(sut: Instances) -> None:
    site_id, _ = _sign_up(sut.a)
    headers = _bearer(_log_in(sut.a, site_id, PASSWORD).json()["access_token"])
    before = sut.b.get("/api/auth/me", headers=headers)
    assert before.status_code == 200, before.text
    assert before.json()["site_id"] == site_id

    logout = sut.a.post("/api/auth/logout", headers=headers)
    after = sut.b.get("/api/auth/me", headers=headers)

    assert logout.status_code == 204, logout.text
    assert after.status_code == 401, after.text
    assert _error_code(after) == "TOKEN_REVOKED"


def test_failed_logins_on_both_instances_add_up_to_one_lockout(sut: Instances) -> None:
    site_id, _ = _sign_up(sut.a)
    failures = [_log_in(sut[attempt % 2], site_id, WRONG_PASSWORD) for attempt in range(MAX_FAILED_ATTEMPTS)]
    assert [(response.status_code, _error_code(response)) for response in failures] == [
        (401, "INVALID_CREDENTIALS")
    ] * MAX_FAILED_ATTEMPTS

    on_b = _log_in(sut.b, site_id, PASSWORD)
    on_a = _log_in(sut.a, site_id, PASSWORD)

    for locked in (on_b, on_a):
        assert locked.status_code == 429, locked.text
        assert _error_code(locked) == "LOGIN_LOCKED"
        assert 1 <= int(locked.headers["Retry-After"]) <= 600


def _all_at_once(sut: Instances, site_id: str, passwords: list[str]) -> list[httpx.Response]:
    """One login per password, each from a thread of its own, alternating between the two instances."""
    with ThreadPoolExecutor(max_workers=len(passwords)) as threads:
        sent = [threads.submit(_log_in, sut[n % 2], site_id, password) for n, password in enumerate(passwords)]
        return [future.result() for future in sent]


def _answers(responses: list[httpx.Response]) -> list[tuple[int, str]]:
    return sorted((response.status_code, _error_code(response)) for response in responses)


def test_concurrent_wrong_passwords_on_both_instances_are_verified_only_up_to_the_limit(sut: Instances) -> None:
    site_id, _ = _sign_up(sut.a)

    first_burst = _all_at_once(sut, site_id, [f"{WRONG_PASSWORD}-{n}" for n in range(23)])
    right_password = [_log_in(client, site_id, PASSWORD) for client in sut]
    second_burst = _all_at_once(sut, site_id, [f"{WRONG_PASSWORD}-{n}" for n in range(16)])

    # a 401 is a verified wrong password; a 429 was refused before any verification
    assert _answers(first_burst) == [(401, "INVALID_CREDENTIALS")] * MAX_FAILED_ATTEMPTS + [(429, "LOGIN_LOCKED")] * (
        23 - MAX_FAILED_ATTEMPTS
    )
    assert _answers(right_password) == [(429, "LOGIN_LOCKED")] * 2
    assert _answers(second_burst) == [(429, "LOGIN_LOCKED")] * 16
    for locked in right_password + second_burst:
        assert 1 <= int(locked.headers["Retry-After"]) <= 600


def test_refresh_token_reuse_on_the_other_instance_ends_the_session(sut: Instances) -> None:
    _, tokens = _sign_up(sut.a)
    rotated = sut.a.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200, rotated.text

    reuse = sut.b.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    successor = sut.a.post("/api/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})

    assert reuse.status_code == 401, reuse.text
    assert _error_code(reuse) == "REFRESH_REUSED"
    assert successor.status_code == 401, successor.text
