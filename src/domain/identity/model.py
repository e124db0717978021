"""Users, ranks, account status, invite codes and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from src.domain.identity.errors import InviteExhausted, InviteExpired, InviteInvalid
from src.domain.shared.principal import Rank


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"


@dataclass
class User:
    id: str
    site_id: str
    nickname: str
    password_hash: str
    created_at: datetime
    rank: Rank = Rank.STANDARD
    vip_tier: int = 0
    is_admin: bool = False
    status: AccountStatus = AccountStatus.ACTIVE
    email: str | None = None
    phone_number: str | None = None
    last_login_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def can_sign_in(self) -> bool:
        return self.status is AccountStatus.ACTIVE and self.deleted_at is None


@dataclass
class InviteCode:
    code: str
    created_at: datetime
    expires_at: datetime | None = None
    max_uses: int | None = None
    use_count: int = 0
    created_by: str | None = None

    @property
    def remaining_uses(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.use_count)

    def check_usable(self, now: datetime) -> None:
        """Raise the reason this code cannot be used now."""
        if self.expires_at is not None and self.expires_at <= now:
            raise InviteExpired
        if self.remaining_uses == 0:
            raise InviteExhausted


def check_invite_found(invite: InviteCode | None) -> InviteCode:
    if invite is None:
        raise InviteInvalid
    return invite


@dataclass
class Session:
    """A login on one device: the family of refresh tokens rotated from one sign-in."""

    id: str
    user_id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    idle_expires_at: datetime
    device: str = "unknown device"
    user_agent: str = ""
    ip: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and now < self.idle_expires_at

    def touch(self, now: datetime, idle_timeout: timedelta) -> None:
        self.last_used_at = now
        self.idle_expires_at = min(self.expires_at, now + idle_timeout)

    def revoke(self, now: datetime, reason: str) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.revoke_reason = reason
