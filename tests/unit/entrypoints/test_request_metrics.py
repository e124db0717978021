"""The route-cached Prometheus middleware records exactly what Litestar's stock one records."""

from __future__ import annotations

import uuid

from litestar import Litestar, get
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from src.entrypoints.http.request_metrics import RouteCachedPrometheusMiddleware


@get("/items/{item_id:int}", sync_to_thread=False)
def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


@get("/crash", sync_to_thread=False)
def crash() -> None:
    raise RuntimeError("a bug")


@get("/skipped", sync_to_thread=False)
def skipped() -> str:
    return "not measured"


def _samples(prefix: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the metrics named `prefix_…`, keyed without the prefix; durations only by count (their
    buckets depend on the timing)."""
    found = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            if not sample.name.startswith(prefix) or sample.name.endswith(("_sum", "_created", "_bucket")):
                continue
            labels = tuple(sorted((key, value) for key, value in sample.labels.items() if key != "app_name"))
            found[(sample.name.removeprefix(prefix), labels)] = sample.value
    return found


async def _run(middleware_class: type[PrometheusMiddleware]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    config = PrometheusConfig(
        app_name=prefix, prefix=prefix, group_path=True, exclude=["^/skipped"], middleware_class=middleware_class
    )
    app = Litestar([item, crash, skipped], middleware=[config.middleware])
    async with AsyncTestClient(app) as client:
        statuses = [
            (await client.get(path)).status_code
            for path in ["/items/1", "/items/2", "/items/x", "/crash", "/crash", "/skipped", "/nowhere"]
        ]
        assert statuses == [200, 200, 404, 500, 500, 200, 404]
        await client.post("/items/1")  # 405
    return _samples(prefix)


async def test_the_cached_middleware_records_the_same_samples_as_the_stock_one() -> None:
    stock = await _run(PrometheusMiddleware)
    cached = await _run(RouteCachedPrometheusMiddleware)

    assert cached == stock
    assert cached[("_requests_total", (("method", "GET"), ("path", "/items/{item_id}"), ("status_code", "200")))] == 2
    assert cached[("_requests_error_total", (("method", "GET"), ("path", "/crash"), ("status_code", "500")))] == 2
    assert cached[("_requests_in_progress", (("method", "GET"), ("path", "/crash"), ("status_code", "200")))] == 0
