"""Operations endpoints: health, readiness per dependency, metrics by route template, OpenAPI, CORS."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from src.entrypoints.http.app import create_app
from src.entrypoints.http.security import PUBLIC
from tests.support.api import in_app, served


@get("/test/items/{item_id:int}", sync_to_thread=False, opt={PUBLIC: True})
def item(item_id: FromPath[int]) -> dict[str, int]:
    return {"item_id": item_id}


async def test_health_answers_ok(client: Any) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_postgres_redis_and_olap(client: Any, container: Container) -> None:
    exporter = container.exporter
    assert exporter is not None
    # what the app's start and earlier tests committed, exported first: the relay's consumers write events of their
    # own (a signup's bonus, its notice), so it delivers until none is left, then the exporter takes the rest
    while await in_app(client, container.relay.drain):
        pass
    await in_app(client, exporter.drain)

    response = await client.get("/ready")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "olap": "ok"},
        "outbox": {"export_backlog": 0, "export": "ok"},
    }


async def test_ready_names_the_dependency_that_failed(make_settings: Any) -> None:
    async with served(make_settings(redis_url="redis://127.0.0.1:1/0", readiness_timeout_seconds="1")) as sut:
        response = await sut.get("/ready")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "NOT_READY"
    assert "cache" in error["message"]
    assert error["details"]["checks"]["database"] == "ok"
    assert error["details"]["checks"]["cache"].startswith("failed")


async def test_metrics_count_requests_by_route_template(make_settings: Any) -> None:
    app = create_app(make_settings())
    app.register(item)

    async with AsyncTestClient(app) as sut:
        await sut.get("/test/items/7")
        await sut.get("/test/items/8")
        body = (await sut.get("/metrics")).text

    template_lines = [line for line in body.splitlines() if 'path="/test/items/{item_id}"' in line]
    assert any(line.startswith("casino_club_requests_total") and line.endswith(" 2.0") for line in template_lines)
    assert any(line.startswith("casino_club_request_duration_seconds_bucket") for line in template_lines)
    assert "/test/items/7" not in body
    assert "process_resident_memory_bytes" in body or "python_gc_objects_collected_total" in body


async def test_openapi_document_and_docs_ui(client: Any) -> None:
    schema = await client.get("/schema/openapi.json")
    docs = await client.get("/docs")

    assert schema.status_code == 200
    assert "/health" in schema.json()["paths"]
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text.lower()
    assert "Casino-Club F2P API" in docs.text


async def test_cors_allows_only_configured_origins(make_settings: Any) -> None:
    app = create_app(make_settings(cors_origins="https://play.example.com"))
    preflight = {"access-control-request-method": "GET"}

    async with AsyncTestClient(app) as sut:
        allowed = await sut.options("/health", headers={"origin": "https://play.example.com", **preflight})
        refused = await sut.options("/health", headers={"origin": "https://evil.example.com", **preflight})

    assert allowed.headers["access-control-allow-origin"] == "https://play.example.com"
    assert "access-control-allow-origin" not in refused.headers


async def test_the_openapi_document_describes_errors_as_the_envelope_and_idempotent_answers(client: Any) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    spin = schema["paths"]["/api/games/slot/spin"]["post"]["responses"]
    signup = schema["paths"]["/api/auth/signup"]["post"]["responses"]

    envelope = schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["required"] == ["code", "message", "details", "request_id"]
    assert spin["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SpinOut"}
    for responses in (spin, signup):
        errors = [body for status, body in responses.items() if int(status) >= 400]
        assert errors
        assert all(
            body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
            for body in errors
        )
