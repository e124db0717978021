"""Operators' experiments: create, list, detail, a new traffic split (phase), stop, and the scorecard."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.experiment_results import experiment_results
from src.application.liveops.experiments import (
    ChangeExperiment,
    CreateExperiment,
    change_experiment,
    create_experiment,
    get_experiment,
    list_experiments,
)
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.experiments import ExperimentIn, ExperimentOut, ExperimentResultsOut, PhaseIn
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.security import client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
ExperimentId = Annotated[str, PathParameter(name="experiment_id", max_length=64)]


def provide_liveops(request: Request[Any, Any, Any]) -> LiveOpsDeps:
    return container_of(request).liveops


class AdminExperimentController(Controller):
    path = "/experiments"
    tags = ["admin"]  # noqa: RUF012
    dependencies = {"liveops": Provide(provide_liveops, sync_to_thread=False)}  # noqa: RUF012

    @post("/", operation_id="admin_create_experiment", status_code=HTTP_201_CREATED)
    async def create(
        self, request: PrincipalRequest, data: JSONBody[ExperimentIn], liveops: NamedDependency[LiveOpsDeps]
    ) -> ExperimentOut:
        """A control first and 1–9 treatments with whole-number weights; a taken key → 409 EXPERIMENT_KEY_TAKEN;
        bad variants, weights, dates or an unknown audience segment → 400 VALIDATION_ERROR naming the field."""
        command = CreateExperiment(
            admin=request.user,
            client=client_info(request),
            key=data.key,
            variants=data.to_variants(),
            goal=data.goal,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            audience=data.audience,
        )
        return ExperimentOut.of(await create_experiment(command, liveops), liveops.clock.now())

    @get("/", operation_id="admin_experiments")
    async def experiments(
        self, liveops: NamedDependency[LiveOpsDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[ExperimentOut]:
        """Newest first."""
        page = await list_experiments(limit, cursor, liveops)
        now = liveops.clock.now()
        return ListOut(items=[ExperimentOut.of(e, now) for e in page.items], next_cursor=page.next_cursor)

    @get("/{experiment_id:str}", operation_id="admin_experiment")
    async def experiment(self, experiment_id: ExperimentId, liveops: NamedDependency[LiveOpsDeps]) -> ExperimentOut:
        return ExperimentOut.of(await get_experiment(experiment_id, liveops), liveops.clock.now())

    @post("/{experiment_id:str}/stop", operation_id="admin_stop_experiment", status_code=HTTP_200_OK)
    async def stop(
        self, request: PrincipalRequest, experiment_id: ExperimentId, liveops: NamedDependency[LiveOpsDeps]
    ) -> ExperimentOut:
        """Final: nobody new is assigned and players get the default; a second stop changes nothing."""
        command = ChangeExperiment(request.user, client_info(request), experiment_id)
        return ExperimentOut.of(await change_experiment(command, liveops), liveops.clock.now())

    @post("/{experiment_id:str}/phases", operation_id="admin_experiment_phase", status_code=HTTP_200_OK)
    async def phase(
        self,
        request: PrincipalRequest,
        experiment_id: ExperimentId,
        data: JSONBody[PhaseIn],
        liveops: NamedDependency[LiveOpsDeps],
    ) -> ExperimentOut:
        """A new traffic split over the same variants; players already assigned keep their variant. After the end
        or a stop → 409 ILLEGAL_TRANSITION."""
        command = ChangeExperiment(request.user, client_info(request), experiment_id, data.weights())
        return ExperimentOut.of(await change_experiment(command, liveops), liveops.clock.now())

    @get("/{experiment_id:str}/results", operation_id="admin_experiment_results")
    async def results(self, experiment_id: ExperimentId, liveops: NamedDependency[LiveOpsDeps]) -> ExperimentResultsOut:
        """Counted by the OLAP store from exposure and goal events; every treatment against the control (first)."""
        experiment, card = await experiment_results(experiment_id, liveops, liveops.olap)
        return ExperimentResultsOut.of(experiment, card, liveops.clock.now())
