"""SQL repositories for sessions with their refresh tokens, and for the admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.identity import AuditLogRow, RefreshTokenRow, SessionRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.application.identity.ports import RefreshOutcome, RefreshSpend
from src.application.shared.audit import AuditQuery
from src.application.shared.pagination import Page, Position
from src.domain.identity.model import Session
from src.domain.shared.audit import AuditEntry

SESSION_FIELDS = (
    "user_id",
    "created_at",
    "last_used_at",
    "expires_at",
    "idle_expires_at",
    "device",
    "user_agent",
    "ip",
    "revoked_at",
    "revoke_reason",
)


def session_of(row: Any) -> Session:
    """An ORM row, or a driver row by attribute (`Columns`)."""
    return Session(id=row.id, **{name: getattr(row, name) for name in SESSION_FIELDS})


class SqlaSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, session: Session) -> None:
        self._db.add(SessionRow(id=session.id, **{name: getattr(session, name) for name in SESSION_FIELDS}))
        await self._db.flush()

    async def get(self, session_id: str) -> Session | None:
        row = await self._db.get(SessionRow, session_id)
        return None if row is None else session_of(row)

    async def update(self, session: Session) -> None:
        values = {name: getattr(session, name) for name in SESSION_FIELDS}
        await self._db.execute(update(SessionRow).where(SessionRow.id == session.id).values(**values))

    async def list_active(self, user_id: str, now: datetime) -> list[Session]:
        statement = (
            select(SessionRow)
            .where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
            .where(SessionRow.expires_at > now, SessionRow.idle_expires_at > now)
            .order_by(SessionRow.last_used_at.desc())
        )
        return [session_of(row) for row in (await self._db.execute(statement)).scalars()]

    async def history(self, user_id: str, limit: int, after: Position | None) -> Page[Session]:
        statement = after_position(
            select(SessionRow).where(SessionRow.user_id == user_id), SessionRow.created_at, SessionRow.id, after
        )
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, session_of, lambda row: Position(row.created_at, row.id))

    async def revoke_all(self, user_id: str, now: datetime, reason: str) -> list[str]:
        live = select(SessionRow.id).where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
        session_ids = list((await self._db.execute(live)).scalars())
        if session_ids:
            await self._db.execute(
                update(SessionRow)
                .where(SessionRow.id.in_(session_ids), SessionRow.revoked_at.is_(None))
                .values(revoked_at=now, revoke_reason=reason)
            )
        return session_ids

    async def add_refresh_token(self, token_hash: str, session_id: str, created_at: datetime) -> None:
        self._db.add(RefreshTokenRow(token_hash=token_hash, session_id=session_id, created_at=created_at))
        await self._db.flush()

    async def spend_refresh_token(self, token_hash: str, now: datetime) -> RefreshSpend:
        """The conditional UPDATE lets exactly one of two concurrent refreshes win."""
        spent = await self._db.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.spent_at.is_(None))
            .values(spent_at=now)
            .returning(RefreshTokenRow.session_id)
        )
        session_id = spent.scalar_one_or_none()
        if session_id is not None:
            return RefreshSpend(RefreshOutcome.ROTATED, session_id)
        known = select(RefreshTokenRow.session_id).where(RefreshTokenRow.token_hash == token_hash)
        session_id = (await self._db.execute(known)).scalar_one_or_none()
        return RefreshSpend(RefreshOutcome.UNKNOWN if session_id is None else RefreshOutcome.ALREADY_SPENT, session_id)


def _audit(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        admin_id=row.admin_id,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        created_at=row.created_at,
        payload=dict(row.payload or {}),
        ip=row.ip,
    )


def _filtered(query: AuditQuery) -> Select[Any]:
    statement = select(AuditLogRow)
    if query.action:
        statement = statement.where(AuditLogRow.action == query.action)
    if query.admin_id:
        statement = statement.where(AuditLogRow.admin_id == query.admin_id)
    if query.target_id:
        statement = statement.where(AuditLogRow.target_id == query.target_id)
    if query.since:
        statement = statement.where(AuditLogRow.created_at >= query.since)
    if query.until:
        statement = statement.where(AuditLogRow.created_at <= query.until)
    return statement


class SqlaAuditLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, entry: AuditEntry) -> None:
        self._db.add(
            AuditLogRow(
                id=entry.id,
                admin_id=entry.admin_id,
                action=entry.action,
                target_type=entry.target_type,
                target_id=entry.target_id,
                payload=entry.payload,
                ip=entry.ip,
                created_at=entry.created_at,
            )
        )
        await self._db.flush()

    async def search(self, query: AuditQuery, limit: int, after: Position | None) -> Page[AuditEntry]:
        statement = after_position(_filtered(query), AuditLogRow.created_at, AuditLogRow.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, _audit, lambda row: Position(row.created_at, row.id))
