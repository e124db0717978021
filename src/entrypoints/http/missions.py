"""Mission and achievement routes: the caller's list with progress, and claims (an optional Idempotency-Key
replays the first answer)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.engagement import missions as play
from src.application.engagement.deps import MissionDeps
from src.application.shared.idempotency import KeyRecorder
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotent_in_work
from src.entrypoints.http.schemas.missions import (
    AchievementClaimOut,
    AchievementsOut,
    MissionClaimOut,
    MissionsOut,
    RewardClaimIn,
)
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_missions(request: Request[Any, Any, Any]) -> MissionDeps:
    return container_of(request).missions


MISSIONS = {"missions": Provide(provide_missions, sync_to_thread=False)}


class MissionsController(Controller):
    path = "/api/missions"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = MISSIONS

    @get("/", operation_id="missions")
    async def list(self, request: PrincipalRequest, missions: NamedDependency[MissionDeps]) -> MissionsOut:
        """The enabled missions in their current periods, each with `resets_at` (the game's calendar)."""
        return MissionsOut.of(await play.list_missions(request.user.user_id, missions))

    @post(
        "/{mission_id:str}/claim",
        operation_id="claim_mission",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(MissionClaimOut, description="The reward, credited, and the balances")},
    )
    async def claim(
        self,
        request: PrincipalRequest,
        mission_id: FromPath[str],
        missions: NamedDependency[MissionDeps],
        data: JSONBody[RewardClaimIn | None] = None,
    ) -> Response[bytes]:
        """409 NOT_CLAIMABLE before completion, 409 ALREADY_CLAIMED after the claim; 404 for an unknown mission."""

        async def run(recorder: KeyRecorder[play.Claimed] | None) -> play.Claimed:
            return await play.claim_mission(request.user.user_id, mission_id, missions, recorder)

        body_key = data.idempotency_key if data is not None else None
        user_id = request.user.user_id
        return await idempotent_in_work(request, user_id, run, MissionClaimOut.of, required=False, body_key=body_key)


class AchievementsController(Controller):
    path = "/api/achievements"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = MISSIONS

    @get("/", operation_id="achievements")
    async def list(self, request: PrincipalRequest, missions: NamedDependency[MissionDeps]) -> AchievementsOut:
        """The enabled achievements with progress; a hidden one appears once unlocked."""
        return AchievementsOut.of(await play.list_achievements(request.user.user_id, missions))

    @post(
        "/{achievement_id:str}/claim",
        operation_id="claim_achievement",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(AchievementClaimOut, description="The reward, credited")},
    )
    async def claim(
        self,
        request: PrincipalRequest,
        achievement_id: FromPath[str],
        missions: NamedDependency[MissionDeps],
        data: JSONBody[RewardClaimIn | None] = None,
    ) -> Response[bytes]:
        """409 NOT_CLAIMABLE before the unlock, 409 ALREADY_CLAIMED after the claim (auto_claim ones are paid at
        the unlock)."""

        async def run(recorder: KeyRecorder[play.Claimed] | None) -> play.Claimed:
            return await play.claim_achievement(request.user.user_id, achievement_id, missions, recorder)

        body_key = data.idempotency_key if data is not None else None
        user_id = request.user.user_id
        return await idempotent_in_work(
            request, user_id, run, AchievementClaimOut.of, required=False, body_key=body_key
        )
