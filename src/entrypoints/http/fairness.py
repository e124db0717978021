"""Fairness routes: the player's seed pair, rotation, and the public check of any outcome."""

from __future__ import annotations

import math
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.games import fairness, proofs
from src.application.games.deps import GamesDeps
from src.domain.shared.errors import RateLimited
from src.domain.shared.principal import Principal
from src.entrypoints.http.games import GAMES
from src.entrypoints.http.schemas.fairness import ClientSeedIn, SeedsOut, VerifyIn, VerifyOut
from src.entrypoints.http.security import PUBLIC, client_ip, container_of

PrincipalRequest = Request[Principal, Any, Any]
VERIFY_PER_MINUTE = 120  # public checks per client IP per minute


async def verify_rate_limit(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The public check needs no account, so it is metered per client IP across instances."""
    decision = await container_of(connection).cache.hit_rate_limit(
        f"ratelimit:fairness-verify:{client_ip(connection)}", VERIFY_PER_MINUTE, 60
    )
    if not decision.allowed:
        raise RateLimited(math.ceil(decision.retry_after_seconds))


class FairnessController(Controller):
    path = "/api/fairness"
    tags = ["fairness"]  # noqa: RUF012
    dependencies = GAMES

    @get("/seeds", operation_id="fairness_seeds")
    async def seeds(self, request: PrincipalRequest, games: NamedDependency[GamesDeps]) -> SeedsOut:
        return SeedsOut.of(await fairness.get_seeds(request.user.user_id, games))

    @put("/client-seed", operation_id="fairness_client_seed")
    async def client_seed(
        self, request: PrincipalRequest, data: JSONBody[ClientSeedIn], games: NamedDependency[GamesDeps]
    ) -> SeedsOut:
        return SeedsOut.of(await fairness.set_client_seed(request.user.user_id, data.client_seed, games))

    @post("/rotate", operation_id="fairness_rotate", status_code=HTTP_200_OK)
    async def rotate(self, request: PrincipalRequest, games: NamedDependency[GamesDeps]) -> SeedsOut:
        return SeedsOut.of(await fairness.rotate_seeds(request.user.user_id, games))

    @post(
        "/verify",
        operation_id="fairness_verify",
        status_code=HTTP_200_OK,
        opt={PUBLIC: True},
        guards=[verify_rate_limit],
    )
    async def verify(self, data: JSONBody[VerifyIn], games: NamedDependency[GamesDeps]) -> VerifyOut:
        return VerifyOut.of(await proofs.verify(data.to_request(), games))
