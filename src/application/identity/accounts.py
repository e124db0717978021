"""Admin accounts at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.identity.deps import IdentityDeps
from src.domain.identity import policies
from src.domain.identity.model import User


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
