"""Invite codes: public validation, admin creation and listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.identity.commands import CreateInviteCode
from src.application.identity.deps import IdentityDeps
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.identity.model import InviteCode
from src.domain.shared.errors import DomainError, InvalidInput


@dataclass(frozen=True)
class InviteStatus:
    is_valid: bool
    code: str
    expires_at: datetime | None = None
    remaining_uses: int | None = None
    error_message: str | None = None
    error_code: str | None = None


async def validate_invite(code: str, deps: IdentityDeps) -> InviteStatus:
    code = code.strip()
    if deps.config.dev_invite_code and code == deps.config.dev_invite_code:
        return InviteStatus(is_valid=True, code=code)
    async with deps.uow_factory() as uow:
        invite = await uow.invites.get(code)
    if invite is None:
        return InviteStatus(False, code, error_message="this invite code does not exist", error_code="INVITE_INVALID")
    try:
        invite.check_usable(deps.clock.now())
    except DomainError as refusal:
        return InviteStatus(False, code, invite.expires_at, invite.remaining_uses, refusal.message, refusal.code)
    return InviteStatus(True, code, invite.expires_at, invite.remaining_uses)


async def create_invite_code(cmd: CreateInviteCode, deps: IdentityDeps) -> InviteCode:
    now = deps.clock.now()
    if cmd.max_uses is not None and cmd.max_uses < 1:
        raise InvalidInput("max_uses must be at least 1", details={"fields": [{"key": "max_uses"}]})
    if cmd.expires_at is not None and cmd.expires_at <= now:
        raise InvalidInput("expires_at must be in the future", details={"fields": [{"key": "expires_at"}]})
    invite = InviteCode(
        code=deps.ids.new_invite_code(),
        created_at=now,
        expires_at=cmd.expires_at,
        max_uses=cmd.max_uses,
        created_by=cmd.admin.user_id,
    )
    async with deps.uow_factory() as uow:
        await uow.invites.add(invite)
        payload = {"expires_at": cmd.expires_at.isoformat() if cmd.expires_at else None, "max_uses": cmd.max_uses}
        action = AdminAction(cmd.admin, cmd.client, "invite_code.create", "invite_code", invite.code, payload)
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return invite


async def list_invite_codes(limit: int | None, cursor: str | None, deps: IdentityDeps) -> Page[InviteCode]:
    async with deps.uow_factory() as uow:
        return await uow.invites.list(check_limit(limit), decode_cursor(cursor))
