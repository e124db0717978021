"""Signed access tokens (JWT, HS256) with key rotation, and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import jwt

from src.application.identity.ports import IssuedToken
from src.domain.identity.errors import TokenExpired
from src.domain.shared.errors import Unauthorized
from src.domain.shared.principal import Principal

_ALGORITHM = "HS256"
_ACCESS = "access"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "sid", "jti", "typ"]


def key_id(secret: str) -> str:
    """A public, stable name for a secret, so a token says which key signed it without revealing the key."""
    return hashlib.sha256(f"kid:{secret}".encode()).hexdigest()[:12]


class PyJwtTokenService:
    """Signs with `secret`; also verifies tokens of `previous_secrets` so keys can rotate without logging anyone out."""

    def __init__(
        self,
        secret: str,
        previous_secrets: Sequence[str] = (),
        access_ttl_seconds: int = 1800,
        leeway_seconds: int = 10,
        issuer: str = "casino-club",
    ) -> None:
        if not secret:
            raise ValueError("the token secret must not be empty")
        self._secret = secret
        self._kid = key_id(secret)
        self._keys = {key_id(old): old for old in previous_secrets if old}
        self._keys[self._kid] = secret
        self._ttl = access_ttl_seconds
        self._leeway = leeway_seconds
        self._issuer = issuer

    def issue_access(self, principal: Principal, now: datetime) -> IssuedToken:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = {
            "sub": principal.user_id,
            "sid": principal.session_id,
            "jti": uuid.uuid4().hex,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self._ttl,
            "iss": self._issuer,
            "typ": _ACCESS,
            "rank": principal.rank.value,
            "roles": list(principal.roles),
        }
        token = jwt.encode(claims, self._secret, algorithm=_ALGORITHM, headers={"kid": self._kid})
        return IssuedToken(token=token, expires_in=self._ttl)

    def read_access(self, token: str) -> tuple[str, str]:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=[_ALGORITHM],
                options={"require": _REQUIRED_CLAIMS},
                leeway=self._leeway,
                issuer=self._issuer,
            )
        except jwt.ExpiredSignatureError as e:
            raise TokenExpired from e
        except jwt.PyJWTError as e:
            raise Unauthorized from e
        subject, session_id = claims["sub"], claims["sid"]
        if claims["typ"] != _ACCESS or not isinstance(subject, str) or not isinstance(session_id, str):
            raise Unauthorized
        return subject, session_id

    def new_refresh_token(self) -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, self.hash_refresh_token(token)

    def hash_refresh_token(self, token: str) -> str:
        """A fast hash is right here: the token is 256 random bits, not a guessable password."""
        return hashlib.sha256(token.encode()).hexdigest()

    def _key_for(self, token: str) -> str:
        """The unverified header is read only to pick a key by `kid`; the algorithm is never taken from it."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as e:
            raise Unauthorized from e
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized
        return key
