"""Reward routes: the admin grant (Idempotency-Key required) and a player's reward history (self or admin)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from src.application.engagement import rewards
from src.application.engagement.deps import RewardDeps
from src.application.shared.idempotency import KeyRecorder
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotency_key, idempotent_in_work
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.rewards import RewardGrantIn, RewardGrantOut, RewardOut
from src.entrypoints.http.security import admin_only, client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=256)]


def provide_rewards(request: Request[Any, Any, Any]) -> RewardDeps:
    return container_of(request).rewards


class RewardsController(Controller):
    path = "/api/rewards"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = {"rewards_deps": Provide(provide_rewards, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/",
        operation_id="reward_grant",
        guards=[admin_only],
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_201_CREATED: ResponseSpec(RewardGrantOut, description="The reward (replayed as is for a repeated key)")
        },
    )
    async def grant(
        self, request: PrincipalRequest, data: JSONBody[RewardGrantIn], rewards_deps: NamedDependency[RewardDeps]
    ) -> Response[bytes]:
        """Admins only over HTTP (server code calls `grant_reward` directly); the key makes it exactly-once."""
        key = idempotency_key(request, data.idempotency_key, required=True)
        command = rewards.GrantReward(data.to_request(), key=key, admin=request.user, client=client_info(request))

        async def run(recorder: KeyRecorder[rewards.GrantedReward] | None) -> rewards.GrantedReward:
            return await rewards.grant_reward(command, rewards_deps, recorder)

        return await idempotent_in_work(
            request,
            request.user.user_id,
            run,
            RewardGrantOut.of_grant,
            required=True,
            body_key=data.idempotency_key,
            status_code=201,
        )

    @get("/users/{user_id:str}/rewards", operation_id="reward_list")
    async def list_for_user(
        self,
        request: PrincipalRequest,
        user_id: FromPath[str],
        rewards_deps: NamedDependency[RewardDeps],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[RewardOut]:
        """Newest `awarded_at` first; a player may read only their own (403), an admin anyone's."""
        page = await rewards.list_rewards(request.user, user_id, limit, cursor, rewards_deps)
        return ListOut(items=[RewardOut.of(reward) for reward in page.items], next_cursor=page.next_cursor)
