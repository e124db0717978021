"""Privacy routes: the player's data export and the erasure of their account (API.md "Privacy")."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from src.application.privacy import erasure, exports
from src.application.privacy.deps import PrivacyDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.privacy import (
    ErasureAcceptedOut,
    ErasureIn,
    ExportAcceptedOut,
    ExportOut,
)
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
ExportIdParam = Annotated[str, PathParameter(min_length=1, max_length=64)]


def provide_privacy(request: Request[Any, Any, Any]) -> PrivacyDeps:
    return container_of(request).privacy


PRIVACY = {"privacy": Provide(provide_privacy, sync_to_thread=False)}


class PrivacyController(Controller):
    path = "/api/me"
    tags = ["privacy"]  # noqa: RUF012
    dependencies = PRIVACY

    @post("/export", operation_id="request_export", status_code=HTTP_202_ACCEPTED)
    async def request_export(
        self, request: PrincipalRequest, privacy: NamedDependency[PrivacyDeps]
    ) -> ExportAcceptedOut:
        """A job builds one JSON archive of everything held on the caller; an export still being built is answered
        again instead of a second one."""
        export = await exports.request_export(request.user.user_id, privacy)
        return ExportAcceptedOut(export_id=export.id, status=export.status.value)

    @get("/export/{export_id:str}", operation_id="export_status")
    async def export_status(
        self, request: PrincipalRequest, export_id: ExportIdParam, privacy: NamedDependency[PrivacyDeps]
    ) -> ExportOut:
        """Progress, then `download_url` while the archive can be downloaded; another player's export → 404."""
        export = await exports.export_of(request.user.user_id, export_id, privacy)
        return ExportOut.of(export, privacy.clock.now())

    @get("/export/{export_id:str}/download", operation_id="export_download", media_type="application/json")
    async def download(
        self, request: PrincipalRequest, export_id: ExportIdParam, privacy: NamedDependency[PrivacyDeps]
    ) -> Response[bytes]:
        """The archive: one JSON document, sent gzip-compressed (Content-Encoding: gzip); owner only, until it
        expires (then 404)."""
        archive = await exports.export_archive(request.user.user_id, export_id, privacy)
        headers = {
            "content-encoding": "gzip",
            "content-disposition": f'attachment; filename="casino-club-export-{export_id}.json"',
            "cache-control": "no-store",
        }
        return Response(archive, media_type="application/json", headers=headers)

    @delete("/", operation_id="erase_account", status_code=HTTP_202_ACCEPTED)
    async def erase(
        self, request: PrincipalRequest, data: JSONBody[ErasureIn], privacy: NamedDependency[PrivacyDeps]
    ) -> ErasureAcceptedOut:
        """The password again (wrong → 401 INVALID_CREDENTIALS, counted like a failed login); every session ends at
        once, and a job erases the personal data (financial records are kept, pseudonymized)."""
        accepted = await erasure.request_erasure(request.user, data.password, privacy)
        return ErasureAcceptedOut(request_id=accepted.id, status=accepted.status.value)
