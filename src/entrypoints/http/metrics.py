"""GET /metrics: Prometheus text, with the operational gauges sampled at scrape time and the business counters.

Protected by METRICS_TOKEN (`Authorization: Bearer <token>`, as Prometheus' `authorization` sends it) when it is
set; in production without one the endpoint is closed (a scrape can reveal traffic and backlog); elsewhere open.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator
from typing import Any

import structlog
from litestar import Controller, Request, get
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from src.application.shared.ports import GaugeSample
from src.domain.shared.errors import Unauthorized
from src.entrypoints.http.security import bearer_token, container_of

logger = structlog.get_logger("casino_club.metrics")
PREFIX = "casino_club"
SAMPLE_TIMEOUT_SECONDS = 2.0

GAUGES: dict[str, Gauge] = {
    "outbox_backlog": Gauge(f"{PREFIX}_outbox_backlog", "Outbox events not yet delivered"),
    "outbox_oldest_age_seconds": Gauge(
        f"{PREFIX}_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox event (relay lag)"
    ),
    "outbox_export_backlog": Gauge(
        f"{PREFIX}_outbox_export_backlog", "Outbox events not yet handed to Kafka (or, embedded, the OLAP store)"
    ),
    "outbox_export_oldest_age_seconds": Gauge(
        f"{PREFIX}_outbox_export_oldest_age_seconds", "Age of the oldest event not yet exported (analytics export lag)"
    ),
    "db_pool_in_use": Gauge(f"{PREFIX}_db_pool_in_use", "Database connections checked out of this process's pool"),
    "db_pool_size": Gauge(f"{PREFIX}_db_pool_size", "Database connections this process's pool holds at most"),
    "db_read_pool_in_use": Gauge(
        f"{PREFIX}_db_read_pool_in_use", "Connections of this process's standalone-read pool running a statement"
    ),
    "db_read_pool_size": Gauge(
        f"{PREFIX}_db_read_pool_size", "Connections this process's standalone-read pool holds at most"
    ),
    "job_queue_depth": Gauge(f"{PREFIX}_job_queue_depth", "Jobs waiting (due or deferred) per queue", ["queue"]),
}


class SampledCounter(Collector):
    """A counter kept elsewhere (a worker's Redis counter, the in-process runner's tally) and read at scrape
    time: exported with counter type, so `rate()` and `increase()` treat a restart's reset as one."""

    def __init__(self, name: str, documentation: str, label: str) -> None:
        self.name, self.documentation, self.label = name, documentation, label
        self.values: dict[str, float] = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value_label, value in sorted(self.values.items()):
            family.add_metric([value_label], value)
        yield family


JOB_FAILURES = SampledCounter(
    f"{PREFIX}_job_failures", "Jobs given up on (an error, a timeout, or their tries spent) per queue", "queue"
)
REGISTRY.register(JOB_FAILURES)
SAMPLED_COUNTERS = {"job_failures": JOB_FAILURES}
REALTIME_CONNECTIONS = Gauge(f"{PREFIX}_realtime_connections", "Open WebSocket and SSE streams on this instance")
PLAYS = Counter(f"{PREFIX}_plays", "Settled plays (one spin, or one gacha pull of 1 or 10)", ["game"])
PURCHASE_ANSWERS = Counter(f"{PREFIX}_purchases", "Purchase answers by outcome (captured, pending)", ["status"])


def _set(sample: GaugeSample) -> None:
    counter = SAMPLED_COUNTERS.get(sample.name)
    if counter is not None:
        counter.values[sample.labels.get(counter.label, "")] = sample.value
        return
    gauge = GAUGES.get(sample.name)
    if gauge is None:
        return
    (gauge.labels(**sample.labels) if sample.labels else gauge).set(sample.value)


async def sample_gauges(request: Request[Any, Any, Any]) -> None:
    """Every source in turn, each bounded: a slow database must not hang the scrape (its gauges keep their last
    value and a warning says why)."""
    container = container_of(request)
    REALTIME_CONNECTIONS.set(container.realtime.connection_count())
    for source in container.gauges:
        try:
            samples = await asyncio.wait_for(source.sample(), SAMPLE_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a gauge is best effort: the request metrics must still be served
            logger.warning("gauge source failed", source=type(source).__name__, error=repr(exc))
            continue
        for sample in samples:
            _set(sample)


def check_metrics_access(request: Request[Any, Any, Any]) -> None:
    settings = container_of(request).settings
    token = settings.metrics_token
    if token is None:
        if settings.is_production:
            raise Unauthorized("set METRICS_TOKEN to scrape /metrics in production")
        return
    sent = bearer_token(request) or ""
    if not hmac.compare_digest(sent.encode(), token.encode()):
        raise Unauthorized("a valid metrics token is required")


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False

    @get()
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        check_metrics_access(request)
        await sample_gauges(request)
        return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
