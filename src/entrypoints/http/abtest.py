"""A player's experiment variant: deterministic and sticky; the first answer records the exposure."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.experiments import receive_variant
from src.application.liveops.remote_config import player_config
from src.domain.shared.principal import Principal
from src.entrypoints.http.admin.experiments import provide_liveops
from src.entrypoints.http.schemas.experiments import AssignIn, AssignmentOut, RemoteConfigOut

PrincipalRequest = Request[Principal, Any, Any]
ExperimentKey = Annotated[str, QueryParameter(name="experiment", min_length=1, max_length=64)]


class AbTestController(Controller):
    path = "/api/abtest"
    tags = ["liveops"]  # noqa: RUF012
    dependencies = {"liveops": Provide(provide_liveops, sync_to_thread=False)}  # noqa: RUF012

    @get("/variant", operation_id="abtest_variant")
    async def variant(
        self, request: PrincipalRequest, experiment: ExperimentKey, liveops: NamedDependency[LiveOpsDeps]
    ) -> AssignmentOut:
        """The caller's variant of the experiment with this key (404 when there is none)."""
        return AssignmentOut.of(await receive_variant(request.user.user_id, experiment, liveops))

    @post("/assign", operation_id="abtest_assign", status_code=HTTP_200_OK)
    async def assign(
        self, request: PrincipalRequest, data: JSONBody[AssignIn], liveops: NamedDependency[LiveOpsDeps]
    ) -> AssignmentOut:
        """The same as GET /variant, for clients that prefer a body."""
        return AssignmentOut.of(await receive_variant(request.user.user_id, data.experiment, liveops))

    @get("/config", operation_id="abtest_config")
    async def config(self, request: PrincipalRequest, liveops: NamedDependency[LiveOpsDeps]) -> RemoteConfigOut:
        """The caller's effective remote config: running-experiment variant > segment override > default, with each
        value's source. Records no exposure."""
        return RemoteConfigOut.of(await player_config(request.user.user_id, liveops))
