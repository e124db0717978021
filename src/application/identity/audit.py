"""The admin audit log: written inside the admin's own transaction, searchable by filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.application.identity.commands import ClientInfo
from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import AuditQuery, IdentityUnitOfWork, IdGenerator
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.identity.audit import AuditEntry
from src.domain.identity.model import Principal


@dataclass(frozen=True)
class AdminAction:
    """What an admin did, to what, from where; written in the same transaction as the change."""

    admin: Principal
    client: ClientInfo
    action: str
    target_type: str
    target_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)


async def write_audit(uow: IdentityUnitOfWork, action: AdminAction, ids: IdGenerator, now: datetime) -> None:
    entry = AuditEntry(
        id=ids.new_id(),
        admin_id=action.admin.user_id,
        action=action.action,
        target_type=action.target_type,
        target_id=action.target_id,
        created_at=now,
        payload=action.payload,
        ip=action.client.ip,
    )
    await uow.audit.add(entry)


async def search_audit_log(
    query: AuditQuery, limit: int | None, cursor: str | None, deps: IdentityDeps
) -> Page[AuditEntry]:
    async with deps.uow_factory() as uow:
        return await uow.audit.search(query, check_limit(limit), decode_cursor(cursor))
