"""Admin routes of the identity context: invite codes and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from src.application.identity import invites
from src.application.identity.audit import search_audit_log
from src.application.identity.commands import CreateInviteCode
from src.application.identity.deps import IdentityDeps
from src.application.shared.audit import AuditQuery
from src.domain.shared.principal import Principal
from src.entrypoints.http.identity import IDENTITY
from src.entrypoints.http.query import From, To, as_utc
from src.entrypoints.http.schemas.identity import AuditOut, InviteCreateIn, InviteOut, ListOut
from src.entrypoints.http.security import client_info

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]


class AdminInviteCodeController(Controller):
    path = "/invite-codes"
    tags = ["admin"]  # noqa: RUF012
    dependencies = IDENTITY

    @post("/", operation_id="admin_create_invite_code")
    async def create(
        self, request: PrincipalRequest, data: JSONBody[InviteCreateIn], identity: NamedDependency[IdentityDeps]
    ) -> InviteOut:
        command = CreateInviteCode(
            admin=request.user, client=client_info(request), expires_at=data.expires_at, max_uses=data.max_uses
        )
        return InviteOut.of(await invites.create_invite_code(command, identity))

    @get("/", operation_id="admin_list_invite_codes")
    async def list_codes(
        self, identity: NamedDependency[IdentityDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[InviteOut]:
        page = await invites.list_invite_codes(limit, cursor, identity)
        return ListOut(items=[InviteOut.of(invite) for invite in page.items], next_cursor=page.next_cursor)


class AdminAuditController(Controller):
    path = "/audit"
    tags = ["admin"]  # noqa: RUF012
    dependencies = IDENTITY

    @get("/logs", operation_id="admin_audit_logs")
    async def logs(
        self,
        identity: NamedDependency[IdentityDeps],
        action: Annotated[str | None, QueryParameter(name="action", max_length=64)] = None,
        admin_id: Annotated[str | None, QueryParameter(name="admin_id", max_length=64)] = None,
        since: From = None,
        until: To = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[AuditOut]:
        query = AuditQuery(action=action, admin_id=admin_id, since=as_utc(since), until=as_utc(until))
        page = await search_audit_log(query, limit, cursor, identity)
        return ListOut(items=[AuditOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)
