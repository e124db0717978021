"""Operations endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from src.application.shared.readiness import check_readiness
from src.entrypoints.container import Container
from src.entrypoints.http.errors import error_response


class HealthOut(msgspec.Struct):
    status: str


class ReadyOut(msgspec.Struct):
    status: str
    checks: dict[str, str]


class OpsController(Controller):
    tags = ["operations"]  # noqa: RUF012 - Litestar reads it as a plain class attribute

    @get("/health", operation_id="health", summary="The process is alive")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready", operation_id="ready", summary="Every configured dependency answers", responses=None)
    async def ready(self, request: Request[Any, Any, Any], container: NamedDependency[Container]) -> Response[Any]:
        report = await check_readiness(container.probes, container.settings.readiness_timeout_seconds)
        checks = {result.name: "ok" if result.ok else f"failed: {result.error}" for result in report.results}
        if report.ready:
            return Response(ReadyOut(status="ready", checks=checks))
        failed = ", ".join(report.failed)
        return error_response(request, 503, "NOT_READY", f"not ready: {failed} unavailable", {"checks": checks})
