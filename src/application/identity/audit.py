"""The admin audit log: written inside the admin's own transaction, searchable by filters."""

from __future__ import annotations

from typing import Any

from src.application.identity.commands import ClientInfo
from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import AuditQuery, IdentityUnitOfWork
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.identity.audit import AuditEntry
from src.domain.identity.model import Principal


async def write_audit(
    uow: IdentityUnitOfWork,
    deps: IdentityDeps,
    admin: Principal,
    client: ClientInfo,
    action: str,
    target_type: str,
    target_id: str | None,
    payload: dict[str, Any],
) -> None:
    entry = AuditEntry(
        id=deps.ids.new_id(),
        admin_id=admin.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        created_at=deps.clock.now(),
        payload=payload,
        ip=client.ip,
    )
    await uow.audit.add(entry)


async def search_audit_log(
    query: AuditQuery, limit: int | None, cursor: str | None, deps: IdentityDeps
) -> Page[AuditEntry]:
    async with deps.uow_factory() as uow:
        return await uow.audit.search(query, check_limit(limit), decode_cursor(cursor))
