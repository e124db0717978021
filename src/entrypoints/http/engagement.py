"""Streak routes: status, the daily tick, the next reward and protection; always the caller's own streak."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.engagement import streaks
from src.application.engagement.deps import EngagementDeps
from src.application.shared.idempotency import KeyRecorder
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotent_in_work
from src.entrypoints.http.schemas.engagement import (
    NextRewardOut,
    StreakDayOut,
    StreakHistoryOut,
    StreakOut,
    TickIn,
    TickOut,
)
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Month = Annotated[str | None, QueryParameter(name="month", max_length=16, description="YYYY-MM; this month by default")]


def provide_engagement(request: Request[Any, Any, Any]) -> EngagementDeps:
    return container_of(request).engagement


class StreakController(Controller):
    path = "/api/streak"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = {"engagement": Provide(provide_engagement, sync_to_thread=False)}  # noqa: RUF012

    @get("/status", operation_id="streak_status")
    async def status(self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps]) -> StreakOut:
        return StreakOut.of(await streaks.get_status(request.user.user_id, engagement))

    @post(
        "/tick",
        operation_id="streak_tick",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(TickOut, description="Today's tick and the reward it granted")},
    )
    async def tick(
        self,
        request: PrincipalRequest,
        engagement: NamedDependency[EngagementDeps],
        data: JSONBody[TickIn | None] = None,
    ) -> Response[bytes]:
        """Once per calendar day (409 ALREADY_CLAIMED after); an optional Idempotency-Key replays the answer."""

        async def run(recorder: KeyRecorder[streaks.TickResult] | None) -> streaks.TickResult:
            return await streaks.tick_streak(request.user.user_id, engagement, recorder)

        body_key = data.idempotency_key if data is not None else None
        user_id = request.user.user_id
        return await idempotent_in_work(request, user_id, run, TickOut.of_tick, required=False, body_key=body_key)

    @get("/next-reward", operation_id="streak_next_reward")
    async def next_reward(
        self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps]
    ) -> NextRewardOut:
        return NextRewardOut.of(await streaks.get_next_reward(request.user.user_id, engagement))

    @post("/protect", operation_id="streak_protect", status_code=HTTP_200_OK)
    async def protect(self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps]) -> StreakOut:
        """Spend one `streak_shield` (409 NOT_CLAIMABLE without one; 409 ALREADY_APPLIED while protected)."""
        return StreakOut.of(await streaks.protect_streak(request.user.user_id, engagement))

    @get("/history", operation_id="streak_history")
    async def history(
        self, request: PrincipalRequest, engagement: NamedDependency[EngagementDeps], month: Month = None
    ) -> StreakHistoryOut:
        """The attendance calendar of a month: every day, ticked or not, and the missed days a shield forgave."""
        days = await streaks.streak_history(request.user.user_id, month, engagement)
        first = days[0].day
        return StreakHistoryOut(month=f"{first:%Y-%m}", days=[StreakDayOut.of(day) for day in days])
