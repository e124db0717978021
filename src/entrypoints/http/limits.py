"""Responsible-gaming routes: the player's own limits, time-out and self-exclusion."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.limits import controls as limits
from src.application.shop.limits import purchase_usage
from src.domain.limits.model import PlayerLimits
from src.domain.shared.principal import Principal
from src.entrypoints.container import Container
from src.entrypoints.http.schemas.identity import RestrictionOut
from src.entrypoints.http.schemas.limits import LimitsIn, LimitsOut, SelfExclusionIn, TimeOutIn
from src.entrypoints.http.security import client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_app(request: Request[Any, Any, Any]) -> Container:
    return container_of(request)


async def _out(app: Container, user_id: str, current: PlayerLimits) -> LimitsOut:
    usage = await purchase_usage(user_id, app.purchases)
    return LimitsOut.of(current, usage, await limits.play_minutes_today(user_id, app.limits), app.clock.now())


class LimitsController(Controller):
    path = "/api/limits"
    tags = ["limits"]  # noqa: RUF012
    dependencies = {"app": Provide(provide_app, sync_to_thread=False)}  # noqa: RUF012

    @get("/", operation_id="limits")
    async def show(self, request: PrincipalRequest, app: NamedDependency[Container]) -> LimitsOut:
        user_id = request.user.user_id
        return await _out(app, user_id, await limits.get_limits(user_id, app.limits))

    @put("/", operation_id="set_limits")
    async def update(
        self, request: PrincipalRequest, data: JSONBody[LimitsIn], app: NamedDependency[Container]
    ) -> LimitsOut:
        """Lower limits (or new ones) apply at once; higher ones and removals after 24 hours (`pending`)."""
        user_id = request.user.user_id
        return await _out(app, user_id, await limits.set_limits(user_id, data.changes(), app.limits))

    @post("/time-out", operation_id="limits_time_out", status_code=HTTP_200_OK)
    async def time_out(
        self, request: PrincipalRequest, data: JSONBody[TimeOutIn], app: NamedDependency[Container]
    ) -> RestrictionOut:
        """At once; it cannot be ended early, by the player or by an admin."""
        command = limits.time_out(request.user, client_info(request), data.duration)
        return RestrictionOut.of(await limits.restrict(command, app.limits))

    @post("/self-exclusion", operation_id="limits_self_exclusion", status_code=HTTP_200_OK)
    async def self_exclusion(
        self, request: PrincipalRequest, data: JSONBody[SelfExclusionIn], app: NamedDependency[Container]
    ) -> RestrictionOut:
        """At once, for 6, 12 or 60 months (of 30 days); it cannot be ended early."""
        command = limits.self_exclusion(request.user, client_info(request), data.months)
        return RestrictionOut.of(await limits.restrict(command, app.limits))
