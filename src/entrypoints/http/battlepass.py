"""Battle pass routes: the caller's status in the running season, claiming a level, buying the premium track."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.engagement.battlepass import BattlePassDeps, ClaimResult, buy_premium, claim_level, get_status
from src.application.shared.idempotency import KeyRecorder
from src.domain.engagement.battlepass import Track
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotent, idempotent_in_work
from src.entrypoints.http.schemas.battlepass import BattlePassStatusOut, ClaimIn, ClaimOut, PremiumIn
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_battlepass(request: Request[Any, Any, Any]) -> BattlePassDeps:
    return container_of(request).battlepass


BATTLEPASS = {"battlepass": Provide(provide_battlepass, sync_to_thread=False)}


class BattlePassController(Controller):
    path = "/api/battlepass"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = BATTLEPASS

    @get("/status", operation_id="battlepass_status")
    async def status(
        self, request: PrincipalRequest, battlepass: NamedDependency[BattlePassDeps]
    ) -> BattlePassStatusOut:
        """The running season (404 when none runs), the caller's level and XP, and what they can claim."""
        return BattlePassStatusOut.of(await get_status(request.user.user_id, battlepass))

    @post(
        "/claim",
        operation_id="battlepass_claim",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(ClaimOut, description="The level's reward, paid")},
    )
    async def claim(
        self, request: PrincipalRequest, data: JSONBody[ClaimIn], battlepass: NamedDependency[BattlePassDeps]
    ) -> Response[bytes]:
        """Once per level and track: 409 NOT_CLAIMABLE before the level (or without premium), 409 ALREADY_CLAIMED
        after; an optional Idempotency-Key replays the first answer."""

        async def run(recorder: KeyRecorder[ClaimResult] | None) -> ClaimResult:
            return await claim_level(request.user.user_id, data.level, Track(data.track), battlepass, recorder)

        return await idempotent_in_work(
            request, request.user.user_id, run, ClaimOut.of, required=False, body_key=data.idempotency_key
        )

    @post(
        "/premium",
        operation_id="battlepass_buy_premium",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(BattlePassStatusOut, description="The status with the premium track")},
    )
    async def premium(
        self,
        request: PrincipalRequest,
        battlepass: NamedDependency[BattlePassDeps],
        data: JSONBody[PremiumIn | None] = None,
    ) -> Response[bytes]:
        """Buy the running season's premium track with gems (Idempotency-Key required): 409 INSUFFICIENT_FUNDS,
        409 ALREADY_CLAIMED when owned; every premium level already reached becomes claimable."""

        async def run() -> BattlePassStatusOut:
            return BattlePassStatusOut.of(await buy_premium(request.user.user_id, battlepass))

        body_key = None if data is None else data.idempotency_key
        return await idempotent(request, request.user.user_id, run, required=True, body_key=body_key)
