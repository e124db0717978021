"""Operator KPIs and funnels, computed by the OLAP store (ClickHouse, or chDB embedded)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from src.application.analytics.funnel import FunnelQuery, conversion_funnel
from src.application.analytics.kpis import Period, operator_kpis
from src.application.analytics.ports import OlapStore
from src.application.shared.errors import DependencyUnavailable
from src.entrypoints.http.schemas.analytics_admin import FunnelOut, KpisOut
from src.entrypoints.http.security import container_of

From = Annotated[date | None, QueryParameter(name="from", description="first UTC day (YYYY-MM-DD); default: to − 29")]
To = Annotated[date | None, QueryParameter(name="to", description="last UTC day, included; default: today")]
Steps = Annotated[
    str,
    QueryParameter(
        name="steps",
        max_length=400,
        description="2–8 comma-separated steps: signup, login, spin, pull, purchase, streak_tick (each also as "
        "first_<step>), or action:<action type>",
    ),
]
WindowHours = Annotated[int | None, QueryParameter(name="window_hours", description="default 168 (7 days)")]


def _olap(request: Request[Any, Any, Any]) -> OlapStore:
    olap = container_of(request).olap
    if olap is None:  # only the server opens the OLAP store, and not with OLAP_IN_APP=false
        raise DependencyUnavailable("olap store")
    return olap


def _period(request: Request[Any, Any, Any], start: date | None, end: date | None) -> Period:
    return Period.resolve(start, end, container_of(request).clock.now().date())


class AdminAnalyticsController(Controller):
    path = "/analytics"
    tags = ["admin"]  # noqa: RUF012

    @get("/kpis", operation_id="admin_analytics_kpis")
    async def kpis(self, request: Request[Any, Any, Any], start: From = None, end: To = None) -> KpisOut:
        """At most 366 days; `from` after `to`, or a day outside 2000–2099, is a 400."""
        return KpisOut.of(await operator_kpis(_period(request, start, end), _olap(request)))

    @get("/funnel", operation_id="admin_analytics_funnel")
    async def funnel(
        self,
        request: Request[Any, Any, Any],
        steps: Steps,
        window_hours: WindowHours = None,
        start: From = None,
        end: To = None,
    ) -> FunnelOut:
        """Players whose first step fell in the period (default: the 30 days to today), and how many went on."""
        query = FunnelQuery.of(steps, window_hours, _period(request, start, end))
        return FunnelOut.of(query, await conversion_funnel(query, _olap(request)))
