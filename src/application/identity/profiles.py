"""Profile reads: the self view (with balances and progress) and the public view."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.application.identity.deps import IdentityDeps
from src.domain.identity.model import User
from src.domain.shared.errors import NotFound


@dataclass(frozen=True)
class SelfProfile:
    user: User
    balances: dict[str, int] = field(default_factory=lambda: {"coins": 0, "gems": 0})
    battlepass_level: int = 0
    total_spent_cents: int = 0


async def get_user(user_id: str, deps: IdentityDeps) -> User:
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("no such user")
    return user


async def get_self_profile(user_id: str, deps: IdentityDeps) -> SelfProfile:
    return SelfProfile(await get_user(user_id, deps))
