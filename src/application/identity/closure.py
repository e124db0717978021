"""A player closing their own account (the start of an erasure): the password again, then every session ends."""

from __future__ import annotations

from src.application.identity.auth import attempts_key, check_password
from src.application.identity.deps import IdentityDeps
from src.domain.identity.errors import TokenRevoked
from src.domain.shared.principal import Principal

CLOSED_REASON = "account_erased"


async def confirm_password(principal: Principal, password: str, deps: IdentityDeps) -> None:
    """The account's own password, counted against the login lockout as a login is (a stolen access token is not
    a way to guess it); a wrong one → 401 INVALID_CREDENTIALS."""
    async with deps.uow_factory() as uow:
        user = await uow.users.get(principal.user_id)
    if user is None or user.deleted_at is not None:
        raise TokenRevoked
    await check_password(deps, user.site_id, password)


async def close_account(user_id: str, deps: IdentityDeps) -> None:
    """Sign-in ends and every session is revoked at once (the shared cache tells every instance)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        user = await uow.users.get_for_update(user_id)
        if user is None:
            return
        if user.deleted_at is None:
            user.deleted_at = now
            await uow.users.update(user)
        revoked = await uow.sessions.revoke_all(user_id, now, CLOSED_REASON)
        await uow.commit()
    await deps.session_state.mark_revoked(revoked, user_id)


async def forget_sign_in_attempts(site_id: str, deps: IdentityDeps) -> None:
    """The lockout's window of failed logins, keyed by the site id (an erasure leaves no trace of it)."""
    await deps.cache.delete(attempts_key(site_id))
