"""A dependency that cannot be reached answers 503 SERVICE_UNAVAILABLE with Retry-After; a bug still answers 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar import Litestar, get
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from structlog.testing import CapturedCall, CapturingLogger

from src.entrypoints.container import Container
from src.entrypoints.http import errors
from src.entrypoints.http.security import PUBLIC
from tests.conftest import SettingsFactory
from tests.support.api import JWT_SECRET, app_for, bearer, sign_up
from tests.support.realtime import WS, settle

OpenClient = Callable[..., AbstractAsyncContextManager[AsyncTestClient[Litestar]]]


@get("/test/bad-sql", opt={PUBLIC: True})
async def bad_sql(container: NamedDependency[Container]) -> None:
    async with container.uow_factory() as uow:
        await uow.session.execute(text("SELEC 1"))


@get("/test/bad-cache-use", opt={PUBLIC: True})
async def bad_cache_use(container: NamedDependency[Container]) -> None:
    await container.cache.set("outage-test:not-a-number", "seven")
    await container.cache.incr("outage-test:not-a-number")  # Redis answers with an error: our bug, not an outage


@get("/test/connection-lost", opt={PUBLIC: True})
async def connection_lost(container: NamedDependency[Container]) -> None:
    async with container.uow_factory() as uow:
        await uow.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))  # as a server restart does


@get("/test/key-error", sync_to_thread=False, opt={PUBLIC: True})
def key_error() -> None:
    raise KeyError("missing")


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def on_closed_port(url: str) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}{'@' if credentials else ''}127.0.0.1:{closed_port()}"))


@pytest.fixture
def open_client(make_settings: SettingsFactory) -> OpenClient:
    """`async with open_client(redis_url=...) as client:` an app on the shared database, Redis keys and JWT secret."""

    @asynccontextmanager
    async def open_one(**overrides: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
        settings = make_settings(jwt_secret=JWT_SECRET, readiness_timeout_seconds="2", **overrides)
        with app_for(settings, extra_routes=(bad_sql, bad_cache_use, connection_lost, key_error)) as app:
            async with AsyncTestClient(app) as client:
                yield client

    return open_one


@pytest.fixture
async def player(open_client: OpenClient) -> dict[str, Any]:
    """A player signed up while everything was up."""
    async with open_client() as client:
        tokens = await sign_up(client)
        await settle(client)
    return tokens


@pytest.fixture
def redis_down(make_settings: SettingsFactory) -> dict[str, str]:
    return {"redis_url": on_closed_port(str(make_settings().redis_url))}


@pytest.fixture
def database_down(make_settings: SettingsFactory) -> dict[str, str]:
    return {"database_url": on_closed_port(make_settings().database_url)}


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["details"] is None
    assert error["request_id"] == response.headers["x-request-id"]
    assert response.headers["retry-after"] == "2"
    assert "127.0.0.1" not in response.text
    assert "postgres" not in response.text.lower()
    assert "redis" not in response.text.lower()


@pytest.fixture(autouse=True)
def http_log(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """What the error handlers log. Their real logger is left unused here: structlog caches a logger on first use,
    and a cached one escapes `capture_logs` in the tests that come after."""
    capturing = CapturingLogger()
    monkeypatch.setattr(errors, "logger", capturing)
    return capturing


def outage_warnings(log: CapturingLogger) -> list[CapturedCall]:
    return [call for call in log.calls if call.args == ("dependency unavailable",)]


async def test_an_authenticated_request_while_redis_is_down_is_503_logged_once(
    open_client: OpenClient, player: dict[str, Any], redis_down: dict[str, str], http_log: CapturingLogger
) -> None:
    async with open_client(**redis_down) as sut:
        response = await sut.get("/api/auth/me", headers={**bearer(player), "x-request-id": "outage-42"})

    assert_unavailable(response)
    assert response.json()["error"]["request_id"] == "outage-42"
    [warning] = http_log.calls
    assert warning.method_name == "warning"
    assert warning.args == ("dependency unavailable",)
    assert warning.kwargs == {
        "request_id": "outage-42",
        "path": "/api/auth/me",
        "dependency": "redis unreachable",
        "error": "ConnectionError",
    }


async def test_the_auth_rate_limit_while_redis_is_down_is_503(
    open_client: OpenClient, redis_down: dict[str, str]
) -> None:
    async with open_client(**redis_down) as sut:
        response = await sut.post("/api/auth/login", json={"site_id": "someone", "password": "whatever-it-is"})

    assert_unavailable(response)


async def test_requests_while_the_database_is_down_are_503(
    open_client: OpenClient, player: dict[str, Any], database_down: dict[str, str], http_log: CapturingLogger
) -> None:
    async with open_client(**database_down) as sut:
        login = await sut.post("/api/auth/login", json={"site_id": "someone", "password": "whatever-it-is"})
        wallet = await sut.get("/api/wallet", headers=bearer(player))

    assert_unavailable(login)
    assert_unavailable(wallet)
    assert [call.kwargs["error"] for call in outage_warnings(http_log)] == ["ConnectionRefusedError"] * 2
    assert len(http_log.calls) == 2


async def test_a_connection_lost_mid_request_is_503_and_the_next_request_gets_a_new_one(
    open_client: OpenClient, http_log: CapturingLogger
) -> None:
    async with open_client(db_pool_size="1") as sut:
        lost = await sut.get("/test/connection-lost")
        after = await sut.get("/ready")

    assert_unavailable(lost)
    assert [call.kwargs["dependency"] for call in outage_warnings(http_log)] == ["database unreachable"]
    assert after.status_code == 200, after.text


async def test_bugs_stay_500_while_everything_is_up(open_client: OpenClient, http_log: CapturingLogger) -> None:
    async with open_client() as sut:
        answers = [await sut.get(path) for path in ("/test/bad-sql", "/test/bad-cache-use", "/test/key-error")]

    assert [answer.status_code for answer in answers] == [500, 500, 500]
    assert {answer.json()["error"]["code"] for answer in answers} == {"INTERNAL_ERROR"}
    assert [call.args for call in http_log.calls] == [("unhandled error",)] * 3
    assert [type(call.kwargs["exc_info"]).__name__ for call in http_log.calls] == [
        "ProgrammingError",
        "ResponseError",
        "KeyError",
    ]


async def test_a_bug_stays_500_while_redis_is_down(open_client: OpenClient, redis_down: dict[str, str]) -> None:
    async with open_client(**redis_down) as sut:
        response = await sut.get("/test/key-error")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"


async def test_the_websocket_is_refused_with_try_again_later(
    open_client: OpenClient, player: dict[str, Any], redis_down: dict[str, str], http_log: CapturingLogger
) -> None:
    async with open_client(**redis_down) as sut:
        url = f"{WS}?token={player['access_token']}"
        with pytest.raises(WebSocketDisconnect) as refused, await sut.websocket_connect(url):
            pass

    assert refused.value.code == 1013
    [warning] = outage_warnings(http_log)
    assert warning.kwargs["path"] == WS


async def test_sse_answers_503(open_client: OpenClient, player: dict[str, Any], redis_down: dict[str, str]) -> None:
    async with open_client(**redis_down) as sut:
        response = await sut.get("/api/realtime/sse", headers=bearer(player))

    assert_unavailable(response)


async def test_ready_still_names_the_driver_error(open_client: OpenClient, database_down: dict[str, str]) -> None:
    async with open_client(**database_down) as sut:
        response = await sut.get("/ready")

    assert response.status_code == 503
    checks = response.json()["error"]["details"]["checks"]
    assert checks == {"database": "failed: ConnectionRefusedError", "cache": "ok", "olap": "ok"}
