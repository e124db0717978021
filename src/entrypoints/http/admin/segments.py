"""Admin segments: RFM groups and custom rule segments, their preview, and the recompute job."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from src.application.liveops import segments
from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.remote_config import SetSegmentParams, set_segment_params
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.segments import (
    RecomputeAcceptedOut,
    RecomputeJobOut,
    SegmentIn,
    SegmentListOut,
    SegmentOut,
    SegmentParamsIn,
    SegmentParamsOut,
    SegmentPreviewOut,
)
from src.entrypoints.http.security import client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]


def _liveops(request: Request[Any, Any, Any]) -> LiveOpsDeps:
    return container_of(request).liveops


class AdminSegmentController(Controller):
    path = "/segments"
    tags = ["admin"]  # noqa: RUF012

    @get("/", operation_id="admin_segments")
    async def list_segments(self, request: PrincipalRequest) -> SegmentListOut:
        """The five RFM groups (Whale, High, Medium, Low, At-risk), then custom segments, with member counts."""
        return SegmentListOut(items=[SegmentOut.of(s) for s in await segments.list_segments(_liveops(request))])

    @post("/", operation_id="admin_create_segment", status_code=HTTP_201_CREATED)
    async def create(self, request: PrincipalRequest, data: JSONBody[SegmentIn]) -> SegmentOut:
        """A custom segment from a rule; its members are found at once and at each recompute. A rule that does not
        parse → 400 VALIDATION_ERROR with `details.position`; a taken name → 409 SEGMENT_EXISTS."""
        command = segments.CreateSegment(request.user, client_info(request), data.name, data.rule)
        return SegmentOut.of(await segments.create_segment(command, _liveops(request)))

    @get("/{name:str}/preview", operation_id="admin_preview_segment")
    async def preview(self, request: PrincipalRequest, name: FromPath[str]) -> SegmentPreviewOut:
        """How many players the segment's rule matches in the current profiles, and a sample of them."""
        return SegmentPreviewOut.of(await segments.preview_segment(name, _liveops(request)))

    @put("/{name:str}/params", operation_id="admin_set_segment_params")
    async def set_params(
        self, request: PrincipalRequest, name: FromPath[str], data: JSONBody[SegmentParamsIn]
    ) -> SegmentParamsOut:
        """The segment's remote-config override (null clears it): applied to its members below their experiment
        variant and above the defaults. The keys and values experiments accept, else 400; an unknown segment → 404."""
        command = SetSegmentParams(request.user, client_info(request), name, data.params)
        return SegmentParamsOut(segment=name, params=await set_segment_params(command, _liveops(request)))

    @post("/recompute", operation_id="admin_recompute_segments", status_code=HTTP_202_ACCEPTED)
    async def recompute(self, request: PrincipalRequest) -> RecomputeAcceptedOut:
        """Queue a recompute of every profile and membership (maintenance queue); poll `jobs/{job_id}`."""
        job = await segments.request_recompute(_liveops(request))
        return RecomputeAcceptedOut(job_id=job.id)

    @get("/jobs/{job_id:str}", operation_id="admin_segment_job")
    async def job(self, request: PrincipalRequest, job_id: FromPath[str]) -> RecomputeJobOut:
        return RecomputeJobOut.of(await segments.job_status(job_id, _liveops(request)))
