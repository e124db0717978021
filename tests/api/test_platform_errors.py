"""Every error answer has the envelope of API.md and the right status; bad input is never a 500."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import structlog
from litestar import Litestar, get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from src.entrypoints.http import errors
from src.entrypoints.http.security import PUBLIC


class WagerIn(msgspec.Struct):
    amount: int
    currency: str


@post("/test/wager", sync_to_thread=False, opt={PUBLIC: True})
def wager(data: JSONBody[WagerIn]) -> dict[str, int]:
    return {"amount": data.amount}


@get("/test/boom", sync_to_thread=False, opt={PUBLIC: True})
def boom() -> None:
    raise RuntimeError("database password is hunter2")


@pytest.fixture(scope="module")
def module_app(module_app: Litestar) -> Litestar:
    """The module's app with routes of the tests' own, registered before it starts."""
    module_app.register(wager)
    module_app.register(boom)
    return module_app


@pytest.fixture
def sut(client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    return client


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_malformed_json_is_a_validation_error(sut: Any) -> None:
    response = await sut.post("/test/wager", content=b'{"amount": 1,', headers={"content-type": "application/json"})

    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    [field] = error["details"]["fields"]
    assert field["source"] == "body"
    assert field["message"].startswith("the body is not JSON")
    assert error["details"]["reason"]


async def test_wrong_types_name_the_offending_field(sut: Any) -> None:
    response = await sut.post("/test/wager", json={"amount": "ten", "currency": "coins"})

    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert [field["key"] for field in error["details"]["fields"]] == ["amount"]


async def test_missing_field_is_a_validation_error(sut: Any) -> None:
    response = await sut.post("/test/wager", json={"amount": 10})

    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "currency" in error["details"]["fields"][0]["message"]


async def test_unknown_route_is_not_found(sut: Any) -> None:
    assert_envelope(await sut.get("/api/no/such/thing"), 404, "NOT_FOUND")


async def test_wrong_method_is_405_with_allow(sut: Any) -> None:
    response = await sut.delete("/health")

    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


async def test_huge_body_is_413(sut: Any, make_settings: Any) -> None:
    limit = make_settings().max_request_body_bytes

    response = await sut.post("/test/wager", content=b"x" * (limit + 1), headers={"content-type": "application/json"})

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_unexpected_exception_is_500_without_internals(sut: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # swapped, not captured: structlog caches a logger on first use, and a cached one escapes `capture_logs`
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(errors, "logger", log)
    response = await sut.get("/test/boom", headers={"x-request-id": "trace-me-123"})

    error = assert_envelope(response, 500, "INTERNAL_ERROR")
    assert error["request_id"] == "trace-me-123"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    [logged] = [call for call in log.calls if call.args == ("unhandled error",)]
    assert logged.method_name == "exception"
    assert logged.kwargs["request_id"] == "trace-me-123"
    assert isinstance(logged.kwargs["exc_info"], RuntimeError)


async def test_request_id_is_generated_when_absent(sut: Any) -> None:
    response = await sut.get("/health")

    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) >= 16


async def test_request_id_is_echoed(sut: Any) -> None:
    response = await sut.get("/health", headers={"x-request-id": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_unsafe_request_id_is_replaced(sut: Any) -> None:
    response = await sut.get("/health", headers={"x-request-id": "evil\tvalue" + "x" * 300})

    assert response.headers["x-request-id"] != "evil\tvalue" + "x" * 300
    assert response.headers["x-request-id"].isalnum()
