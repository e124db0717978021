"""Action tracking routes: a player reports actions (one or a bulk of up to 500) and reads back their own."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from src.application.analytics import tracking
from src.application.analytics.deps import ActionDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.analytics import ActionBulkIn, ActionIn, ActionOut, ActionsAcceptedOut
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=256)]
ACCEPTED = {HTTP_202_ACCEPTED: ResponseSpec(ActionsAcceptedOut, description="Stored; on its way to the OLAP store")}


def provide_actions(request: Request[Any, Any, Any]) -> ActionDeps:
    return container_of(request).actions


class ActionsController(Controller):
    path = "/api/actions"
    tags = ["analytics"]  # noqa: RUF012
    dependencies = {"actions": Provide(provide_actions, sync_to_thread=False)}  # noqa: RUF012

    @post("/", operation_id="actions_track", status_code=HTTP_202_ACCEPTED, responses=ACCEPTED)
    async def track(
        self, request: PrincipalRequest, data: JSONBody[ActionIn], actions: NamedDependency[ActionDeps]
    ) -> ActionsAcceptedOut:
        """One action; 429 RATE_LIMITED (with Retry-After) past the player's actions per minute."""
        return ActionsAcceptedOut.of(await tracking.track_actions(request.user.user_id, [data.to_reported()], actions))

    @post("/bulk", operation_id="actions_track_bulk", status_code=HTTP_202_ACCEPTED, responses=ACCEPTED)
    async def track_bulk(
        self, request: PrincipalRequest, data: JSONBody[ActionBulkIn], actions: NamedDependency[ActionDeps]
    ) -> ActionsAcceptedOut:
        """1–500 actions, all or none: one bad action is a 400 naming it (`actions[3].context`); each action counts
        against the per-minute budget."""
        return ActionsAcceptedOut.of(await tracking.track_actions(request.user.user_id, data.to_reported(), actions))

    @get("/recent", operation_id="actions_recent")
    async def recent(
        self,
        request: PrincipalRequest,
        actions: NamedDependency[ActionDeps],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[ActionOut]:
        """The caller's own actions, newest first, as stored (kept for ACTION_RETENTION_DAYS)."""
        page = await tracking.recent_actions(request.user.user_id, limit, cursor, actions)
        return ListOut(items=[ActionOut.of(action) for action in page.items], next_cursor=page.next_cursor)
