"""Admin accounts at start-up, and account status changes enforced on every session."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.identity.audit import AdminAction, write_audit
from src.application.identity.commands import ChangeAccountStatus
from src.application.identity.deps import IdentityDeps
from src.domain.identity import policies
from src.domain.identity.model import AccountStatus, User
from src.domain.shared.errors import NotFound


@dataclass(frozen=True)
class AdminAccount:
    user: User
    created: bool


async def ensure_admin(
    site_id: str, password: str, deps: IdentityDeps, *, reset_password: bool = False
) -> AdminAccount:
    """Create the admin if missing, or make an existing account admin; the password is reset only on request."""
    site_id = policies.check_site_id(site_id)
    async with deps.uow_factory() as uow:
        existing = await uow.users.by_site_id(site_id)
    if existing is None or reset_password:
        policies.check_password(password, deps.blocklist)
    password_hash = await deps.hasher.hash(password) if existing is None or reset_password else None
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        user = await uow.users.by_site_id(site_id)
        created = user is None
        if user is None:
            assert password_hash is not None
            user = User(deps.ids.new_id(), site_id, f"admin_{site_id}"[:24], password_hash, now, is_admin=True)
            await uow.users.add(user)
        else:
            user.is_admin = True
            user.password_hash = password_hash or user.password_hash
            await uow.users.update(user)
        await uow.commit()
    return AdminAccount(user, created)


async def change_account_status(cmd: ChangeAccountStatus, deps: IdentityDeps) -> User:
    """Suspending or banning ends every session at once; the audit row is part of the same change."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        user = await uow.users.get(cmd.user_id)
        if user is None:
            raise NotFound("no such user")
        previous = user.status
        user.status = cmd.status
        await uow.users.update(user)
        revoked: list[str] = []
        if cmd.status is not AccountStatus.ACTIVE:
            revoked = await uow.sessions.revoke_all(user.id, now, f"account_{cmd.status.value}")
        payload = {"from": previous.value, "to": cmd.status.value}
        await write_audit(
            uow, AdminAction(cmd.admin, cmd.client, "user.status", "user", user.id, payload), deps.ids, now
        )
        await uow.commit()
    await deps.session_state.mark_revoked(revoked, user.id)
    return user
