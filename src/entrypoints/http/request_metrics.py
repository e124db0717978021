"""Litestar's Prometheus middleware, with the per-request work it repeats done once per route and status.

The stock middleware builds a `Request`, a labels dict and looks each metric's child up by its label values four
times per request (`labels(...)` validates and locks each time). This subclass keeps the same metrics, names,
labels and values (method, path template, status code, app name; the in-progress gauge labelled with status 200 as
the stock one does) and keeps each label combination's children in a dict. A configuration this subclass does not
cover (extra labels, exemplars, excluded methods, ungrouped paths) is handed to the stock implementation.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

if TYPE_CHECKING:
    from litestar.plugins.prometheus import PrometheusConfig
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

_Children = tuple[Any, Any, Any]  # requests total, duration, errors total or None (one label set's children)


class RouteCachedPrometheusMiddleware(PrometheusMiddleware):
    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._stock = bool(config.labels or config.exemplars or config.excluded_http_methods or not config.group_path)
        self._in_progress: dict[tuple[str, str], Any] = {}
        self._finished: dict[tuple[str, str, int], _Children] = {}

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        return {"method": method, "path": path, "status_code": status, "app_name": self._config.app_name}

    def _in_progress_child(self, method: str, path: str) -> Any:
        key = (method, path)
        child = self._in_progress.get(key)
        if child is None:
            labels = self._labels(method, path, 200)
            child = self._in_progress[key] = self.requests_in_progress(labels).labels(*labels.values())
        return child

    def _finished_children(self, method: str, path: str, status: int) -> _Children:
        key = (method, path, status)
        children = self._finished.get(key)
        if children is None:
            labels = self._labels(method, path, status)
            values = [*labels.values()]
            children = self._finished[key] = (
                self.request_count(labels).labels(*values),
                self.request_time(labels).labels(*values),
                self.requests_error_count(labels).labels(*values) if status >= HTTP_500_INTERNAL_SERVER_ERROR else None,
            )
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._stock:
            await super().__call__(scope, receive, send)
            return
        method = scope["method"] if scope["type"] == ScopeType.HTTP else scope["type"]
        path = scope["path_template"]
        started = time.perf_counter()
        status = 200
        duration = 0.0

        async def wrapped_send(message: Message) -> None:
            nonlocal status, duration
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                duration = time.perf_counter() - started
            await send(message)

        in_progress = self._in_progress_child(method, path)
        in_progress.inc()
        try:
            await self.app(scope, receive, wrapped_send)
        finally:
            in_progress.dec()
            count, timing, errors = self._finished_children(method, path, status)
            if errors is not None:
                errors.inc()
            count.inc()
            timing.observe(duration)
