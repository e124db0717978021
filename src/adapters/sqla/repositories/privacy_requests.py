"""SQL privacy requests and tombstones (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.privacy import PrivacyRequestRow, PrivacyTombstoneRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.application.shared.pagination import Page, Position
from src.domain.privacy.model import PrivacyRequest, RequestKind, RequestStatus, Tombstone

_OPEN = (RequestStatus.QUEUED.value, RequestStatus.RUNNING.value)
# every column but the archive: requests are read often, archives once
_COLUMNS = [column for column in PrivacyRequestRow.__table__.columns if column.name != "archive"]


def _request(row: Any) -> PrivacyRequest:
    return PrivacyRequest(
        id=row.id,
        user_id=row.user_id,
        kind=RequestKind(row.kind),
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=RequestStatus(row.status),
        progress=row.progress,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        archive_bytes=row.archive_bytes,
    )


def _values(request: PrivacyRequest) -> dict[str, Any]:
    return {
        "status": request.status.value,
        "progress": request.progress,
        "updated_at": request.updated_at,
        "completed_at": request.completed_at,
        "expires_at": request.expires_at,
        "archive_bytes": request.archive_bytes,
    }


def _position(row: Any) -> Position:
    return Position(row.created_at, row.id)


class SqlaPrivacyRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, request: PrivacyRequest) -> None:
        values = {"id": request.id, "user_id": request.user_id, "kind": request.kind.value, **_values(request)}
        self._db.add(PrivacyRequestRow(created_at=request.created_at, **values))
        await self._db.flush()

    async def get(self, request_id: str) -> PrivacyRequest | None:
        row = (await self._db.execute(select(*_COLUMNS).where(PrivacyRequestRow.id == request_id))).one_or_none()
        return None if row is None else _request(row)

    async def get_for_update(self, request_id: str) -> PrivacyRequest | None:
        statement = select(*_COLUMNS).where(PrivacyRequestRow.id == request_id).with_for_update()
        row = (await self._db.execute(statement)).one_or_none()
        return None if row is None else _request(row)

    async def open_of(self, user_id: str, kind: RequestKind) -> PrivacyRequest | None:
        statement = (
            select(*_COLUMNS)
            .where(
                PrivacyRequestRow.user_id == user_id,
                PrivacyRequestRow.kind == kind.value,
                PrivacyRequestRow.status.in_(_OPEN),
            )
            .order_by(PrivacyRequestRow.created_at.desc())
            .limit(1)
        )
        row = (await self._db.execute(statement)).one_or_none()
        return None if row is None else _request(row)

    async def update(self, request: PrivacyRequest) -> None:
        values = _values(request)
        if request.status is RequestStatus.EXPIRED:
            values["archive"] = None
        await self._db.execute(update(PrivacyRequestRow).where(PrivacyRequestRow.id == request.id).values(values))

    async def made_since(self, user_id: str, kind: RequestKind, since: datetime) -> list[datetime]:
        statement = (
            select(PrivacyRequestRow.created_at)
            .where(
                PrivacyRequestRow.user_id == user_id,
                PrivacyRequestRow.kind == kind.value,
                PrivacyRequestRow.created_at >= since,
            )
            .order_by(PrivacyRequestRow.created_at)
        )
        return list((await self._db.execute(statement)).scalars().all())

    async def store_archive(self, request_id: str, archive: bytes) -> None:
        statement = update(PrivacyRequestRow).where(PrivacyRequestRow.id == request_id).values(archive=archive)
        await self._db.execute(statement)

    async def archive(self, request_id: str) -> bytes | None:
        statement = select(PrivacyRequestRow.archive).where(PrivacyRequestRow.id == request_id)
        found: bytes | None = (await self._db.execute(statement)).scalar_one_or_none()
        return found

    async def expired_exports(self, now: datetime, limit: int) -> list[PrivacyRequest]:
        statement = (
            select(*_COLUMNS)
            .where(PrivacyRequestRow.status == RequestStatus.READY.value, PrivacyRequestRow.expires_at <= now)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_request(row) for row in (await self._db.execute(statement)).all()]

    async def stalled(self, before: datetime, limit: int) -> list[PrivacyRequest]:
        statement = (
            select(*_COLUMNS)
            .where(PrivacyRequestRow.status.in_(_OPEN), PrivacyRequestRow.updated_at < before)
            .order_by(PrivacyRequestRow.updated_at)
            .limit(limit)
        )
        return [_request(row) for row in (await self._db.execute(statement)).all()]

    async def search(
        self, kind: RequestKind | None, status: RequestStatus | None, limit: int, after: Position | None
    ) -> Page[PrivacyRequest]:
        statement = select(*_COLUMNS)
        if kind is not None:
            statement = statement.where(PrivacyRequestRow.kind == kind.value)
        if status is not None:
            statement = statement.where(PrivacyRequestRow.status == status.value)
        ordered = after_position(statement, PrivacyRequestRow.created_at, PrivacyRequestRow.id, after)
        rows = (await self._db.execute(ordered.limit(limit + 1))).all()
        return to_page(rows, limit, _request, _position)

    async def add_tombstone(self, tombstone: Tombstone) -> None:
        self._db.add(
            PrivacyTombstoneRow(
                user_id=tombstone.user_id,
                request_id=tombstone.request_id,
                requested_at=tombstone.requested_at,
                erased_at=tombstone.erased_at,
                record=tombstone.record,
            )
        )
        await self._db.flush()

    async def erased(self, user_id: str) -> bool:
        statement = select(PrivacyTombstoneRow.user_id).where(PrivacyTombstoneRow.user_id == user_id)
        return (await self._db.execute(statement)).first() is not None
