"""Wire formats of the privacy routes (API.md "Privacy")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from src.domain.privacy.model import PrivacyRequest
from src.entrypoints.http.schemas.identity import Secret, Struct

ExportId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ExportAcceptedOut(Struct):
    export_id: str
    status: str


class ExportOut(Struct):
    export_id: str
    status: str  # queued | running | ready | expired | failed
    progress: int  # percent
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None  # the download works until then
    size_bytes: int | None
    download_url: str | None  # while ready: the archive (gzip-compressed JSON), owner only

    @classmethod
    def of(cls, request: PrivacyRequest, now: datetime) -> ExportOut:
        status = request.status_at(now)
        downloadable = request.downloadable(now)
        return cls(
            export_id=request.id,
            status=status.value,
            progress=request.progress,
            created_at=request.created_at,
            completed_at=request.completed_at,
            expires_at=request.expires_at,
            size_bytes=request.archive_bytes if downloadable else None,
            download_url=f"/api/me/export/{request.id}/download" if downloadable else None,
        )


class ErasureIn(Struct):
    password: Secret


class ErasureAcceptedOut(Struct):
    request_id: str
    status: str


class PrivacyRequestOut(Struct):
    id: str
    user_id: str
    kind: str  # export | erasure
    status: str
    progress: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, request: PrivacyRequest, now: datetime) -> PrivacyRequestOut:
        return cls(
            id=request.id,
            user_id=request.user_id,
            kind=request.kind.value,
            status=request.status_at(now).value,
            progress=request.progress,
            created_at=request.created_at,
            updated_at=request.updated_at,
            completed_at=request.completed_at,
            expires_at=request.expires_at,
        )
