"""Identity refusals; each code is one of API.md's."""

from __future__ import annotations

from src.domain.shared.errors import DomainError


class InviteInvalid(DomainError):
    code = "INVITE_INVALID"
    default_message = "this invite code does not exist"


class InviteExpired(DomainError):
    code = "INVITE_EXPIRED"
    default_message = "this invite code has expired"


class InviteExhausted(DomainError):
    code = "INVITE_EXHAUSTED"
    default_message = "this invite code has no uses left"


class SiteIdTaken(DomainError):
    code = "SITE_ID_TAKEN"
    default_message = "this site id is taken"


class NicknameTaken(DomainError):
    code = "NICKNAME_TAKEN"
    default_message = "this nickname is taken"


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    default_message = "wrong site id or password"


class LoginLocked(DomainError):
    code = "LOGIN_LOCKED"
    default_message = "too many failed logins; try again later"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(details={"retry_after_seconds": max(1, retry_after_seconds)})
        self.retry_after_seconds = max(1, retry_after_seconds)


class AccountSuspended(DomainError):
    code = "ACCOUNT_SUSPENDED"
    default_message = "this account is suspended"


class AccountBanned(DomainError):
    code = "ACCOUNT_BANNED"
    default_message = "this account is banned"


class TokenExpired(DomainError):
    code = "TOKEN_EXPIRED"
    default_message = "the access token has expired"


class TokenRevoked(DomainError):
    code = "TOKEN_REVOKED"
    default_message = "the session of this token has ended"


class RefreshReused(DomainError):
    code = "REFRESH_REUSED"
    default_message = "this refresh token was already used; the session has been ended"
