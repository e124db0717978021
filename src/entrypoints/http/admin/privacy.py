"""Admin view of privacy requests: exports and erasures with their status."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from src.application.privacy.deps import PrivacyDeps
from src.application.privacy.requests import RequestQuery, list_requests
from src.domain.privacy.model import RequestKind, RequestStatus
from src.entrypoints.http.privacy import PRIVACY
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.privacy import PrivacyRequestOut

Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
Kind = Annotated[RequestKind | None, QueryParameter(name="kind")]
Status = Annotated[RequestStatus | None, QueryParameter(name="status")]


class AdminPrivacyController(Controller):
    path = "/privacy"
    tags = ["admin"]  # noqa: RUF012
    dependencies = PRIVACY

    @get("/requests", operation_id="admin_privacy_requests")
    async def requests(
        self,
        privacy: NamedDependency[PrivacyDeps],
        kind: Kind = None,
        status: Status = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[PrivacyRequestOut]:
        """Newest first; `?kind=export|erasure`, `?status=queued|running|ready|done|expired|failed`."""
        page = await list_requests(RequestQuery(kind, status), limit, cursor, privacy)
        now = privacy.clock.now()
        return ListOut(items=[PrivacyRequestOut.of(r, now) for r in page.items], next_cursor=page.next_cursor)
