"""Admin grant of coins or gems: Idempotency-Key required, audit-logged. A grant is a reward: it goes through the
rewards use case, so it is listed with the player's rewards and notified like any other."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from src.application.engagement.deps import RewardDeps
from src.application.engagement.rewards import GrantedReward, GrantReward, grant_reward
from src.application.shared.idempotency import KeyRecorder
from src.domain.engagement.rewards import REWARD_TYPE_OF, RewardRequest
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotency_key, idempotent_in_work
from src.entrypoints.http.rewards import provide_rewards
from src.entrypoints.http.schemas.wallet import GrantIn, GrantOut
from src.entrypoints.http.security import client_info


class AdminWalletController(Controller):
    path = "/users"
    tags = ["admin"]  # noqa: RUF012
    dependencies = {"rewards_deps": Provide(provide_rewards, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/{user_id:str}/grant",
        operation_id="admin_grant",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_201_CREATED: ResponseSpec(GrantOut, description="The grant (replayed as is for a repeated key)")
        },
    )
    async def grant(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        data: JSONBody[GrantIn],
        rewards_deps: NamedDependency[RewardDeps],
    ) -> Response[bytes]:
        """The `reason` is the reward's source; the key names the reward, as on POST /api/rewards."""
        key = idempotency_key(request, data.idempotency_key, required=True) or ""
        reward = RewardRequest(user_id, REWARD_TYPE_OF[data.currency].value, data.reason, data.amount)
        command = GrantReward(reward, key=key, admin=request.user, client=client_info(request))

        async def run(recorder: KeyRecorder[GrantedReward] | None) -> GrantedReward:
            return await grant_reward(command, rewards_deps, recorder)

        return await idempotent_in_work(
            request,
            request.user.user_id,
            run,
            GrantOut.of,
            required=True,
            body_key=data.idempotency_key,
            status_code=HTTP_201_CREATED,
        )
