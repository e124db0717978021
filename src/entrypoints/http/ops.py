"""Operations endpoints: liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from src.application.shared.readiness import check_readiness
from src.entrypoints.container import Container
from src.entrypoints.http.errors import error_response


class HealthOut(msgspec.Struct):
    status: str


class ReadyOut(msgspec.Struct, omit_defaults=True):
    status: str
    checks: dict[str, str]
    # the analytics export: events committed and not yet handed to Kafka (or the OLAP store), and its state; a
    # broker outage shows here and never fails readiness (requests do not need Kafka)
    outbox: dict[str, int | str] | None = None


async def _export_state(container: Container) -> dict[str, int | str] | None:
    exporter = container.exporter
    if exporter is None:
        return None
    try:
        backlog = await asyncio.wait_for(exporter.measure_backlog(), container.settings.readiness_timeout_seconds)
    except TimeoutError:
        backlog = -1
    return {"export_backlog": backlog, "export": "ok" if exporter.failing is None else f"failing: {exporter.failing}"}


class OpsController(Controller):
    tags = ["operations"]  # noqa: RUF012 - Litestar reads it as a plain class attribute

    @get("/health", operation_id="health", summary="The process is alive")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready", operation_id="ready", summary="Every configured dependency answers", responses=None)
    async def ready(self, request: Request[Any, Any, Any], container: NamedDependency[Container]) -> Response[Any]:
        report = await check_readiness(container.probes, container.settings.readiness_timeout_seconds)
        checks = {result.name: "ok" if result.ok else f"failed: {result.error}" for result in report.results}
        outbox = await _export_state(container)
        if report.ready:
            return Response(ReadyOut(status="ready", checks=checks, outbox=outbox))
        failed = ", ".join(report.failed)
        details: dict[str, object] = {"checks": checks} if outbox is None else {"checks": checks, "outbox": outbox}
        return error_response(request, 503, "NOT_READY", f"not ready: {failed} unavailable", details)
