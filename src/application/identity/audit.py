"""Reading the admin audit log: searchable by filters, newest first."""

from __future__ import annotations

from src.application.identity.deps import IdentityDeps
from src.application.shared.audit import AuditQuery
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.shared.audit import AuditEntry


async def search_audit_log(
    query: AuditQuery, limit: int | None, cursor: str | None, deps: IdentityDeps
) -> Page[AuditEntry]:
    async with deps.uow_factory() as uow:
        return await uow.audit.search(query, check_limit(limit), decode_cursor(cursor))
